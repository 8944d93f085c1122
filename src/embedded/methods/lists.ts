// Typed embedded methods for lists commands. Not written yet.

import { HandleBase } from '../handle-base.js';
import type { Value } from '../handle-base.js';

export class ListMethods<V extends Value = string> extends HandleBase<V> {}
