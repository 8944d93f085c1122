// The hash type: its value class, its effect op codes (inside OpRange.hash) and their appliers.
// Not written yet.

import { registerType } from './registry.js';

registerType('hash', {}, () => []);
