// Loads every collection type so its appliers are registered before any effect is applied.

import './list.js';
import './hash.js';
import './set.js';
import './zset.js';
import './stream.js';
