// Keeps an Engine's encoding thresholds (EncodingLimits) equal to a configuration's
// *-max-listpack-* / set-max-intset-entries settings: copied once, then on every change. Each
// Executor does this for its own engine, so two stores in one process never share thresholds.

import { ENCODING_LIMIT_SETTINGS, type EncodingLimits } from '../engine/encoding-limits.js';
import type { Config } from './config.js';

export function followEncodingSettings(config: Config, limits: EncodingLimits): void {
  for (const [name, field] of Object.entries(ENCODING_LIMIT_SETTINGS)) {
    limits[field] = config.getNumber(name);
  }
  config.onChange((name, value) => {
    const field = ENCODING_LIMIT_SETTINGS[name];
    if (field !== undefined) limits[field] = Number(value);
  });
}
