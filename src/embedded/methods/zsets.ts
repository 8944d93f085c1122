// Typed embedded methods for zsets commands. Not written yet.

import { SetMethods } from './sets.js';
import type { Value } from '../handle-base.js';

export class SortedSetMethods<V extends Value = string> extends SetMethods<V> {}
