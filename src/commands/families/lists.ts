// lists commands. Not written yet.

import type { CommandDefinition } from '../spec.js';

export const listCommands: CommandDefinition[] = [];
