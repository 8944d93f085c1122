// The list type: its value class, its effect op codes (inside OpRange.list) and their appliers.
// Not written yet.

import { registerType } from './registry.js';

registerType('list', {}, () => []);
