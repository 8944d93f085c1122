// The zset type: its value class, its effect op codes (inside OpRange.zset) and their appliers.
// Not written yet.

import { registerType } from './registry.js';

registerType('zset', {}, () => []);
