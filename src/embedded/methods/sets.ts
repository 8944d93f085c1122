// Typed embedded methods for sets commands. Not written yet.

import { HashMethods } from './hashes.js';
import type { Value } from '../handle-base.js';

export class SetMethods<V extends Value = string> extends HashMethods<V> {}
