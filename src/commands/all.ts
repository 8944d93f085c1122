// Every command family, in one list: the command table is built from this.

import type { CommandDefinition } from './spec.js';
import { connectionCommands } from './families/connection.js';
import { keyCommands } from './families/keys.js';
import { serverCommands } from './families/server.js';
import { stringCommands } from './families/strings.js';

export const allCommands: readonly CommandDefinition[] = [
  ...connectionCommands,
  ...stringCommands,
  ...keyCommands,
  ...serverCommands,
];
