// Every command family, in one list: the command table is built from this.

import type { CommandDefinition } from './spec.js';
import { aclCommands } from './families/acl.js';
import { bitmapCommands } from './families/bitmaps.js';
import { blockingListCommands } from './families/blocking-lists.js';
import { blockingSortedSetCommands } from './families/blocking-zsets.js';
import { clientCommands } from './families/client.js';
import { connectionCommands } from './families/connection.js';
import { dumpCommands } from './families/dump.js';
import { introspectionCommands } from './families/introspection.js';
import { geoCommands } from './families/geo.js';
import { hashCommands } from './families/hashes.js';
import { hyperLogLogCommands } from './families/hyperloglog.js';
import { keyCommands } from './families/keys.js';
import { pubsubCommands } from './families/pubsub.js';
import { replicationCommands } from './families/replication.js';
import { transactionCommands } from './families/transactions.js';
import { listCommands } from './families/lists.js';
import { memoryCommands } from './families/memory.js';
import { persistenceCommands } from './families/persistence.js';
import { serverCommands } from './families/server.js';
import { setCommands } from './families/sets.js';
import { sortCommands } from './families/sort.js';
import { streamCommands } from './families/streams.js';
import { stringCommands } from './families/strings.js';
import { sortedSetCommands } from './families/zsets.js';

export const allCommands: readonly CommandDefinition[] = [
  ...connectionCommands,
  ...clientCommands,
  ...stringCommands,
  ...bitmapCommands,
  ...hyperLogLogCommands,
  ...keyCommands,
  ...dumpCommands,
  ...listCommands,
  ...blockingListCommands,
  ...hashCommands,
  ...setCommands,
  ...sortedSetCommands,
  ...blockingSortedSetCommands,
  ...geoCommands,
  ...sortCommands,
  ...streamCommands,
  ...transactionCommands,
  ...pubsubCommands,
  ...replicationCommands,
  ...serverCommands,
  ...aclCommands,
  ...persistenceCommands,
  ...introspectionCommands,
  ...memoryCommands,
];
