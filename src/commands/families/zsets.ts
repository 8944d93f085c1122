// zsets commands. Not written yet.

import type { CommandDefinition } from '../spec.js';

export const sortedSetCommands: CommandDefinition[] = [];
