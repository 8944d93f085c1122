// The set type: its value class, its effect op codes (inside OpRange.set) and their appliers.
// Not written yet.

import { registerType } from './registry.js';

registerType('set', {}, () => []);
