// Typed embedded methods for hashes commands. Not written yet.

import { ListMethods } from './lists.js';
import type { Value } from '../handle-base.js';

export class HashMethods<V extends Value = string> extends ListMethods<V> {}
