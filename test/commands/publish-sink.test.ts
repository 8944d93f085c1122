// PUBLISH with and without a log that carries messages: standalone, a message is delivered at
// once and nothing is logged; in a replica group (the sink logs publishes) it becomes an
// Op.Publish effect of the command's entry, nothing is delivered until the host applies it, and
// the engine ignores it. Node-local commands answer standalone as Redis without replicas does.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ClientState } from '../../src/commands/client.js';
import { Config } from '../../src/commands/config.js';
import { Executor } from '../../src/commands/executor.js';
import type { EffectSink } from '../../src/commands/hooks.js';
import { Op, type LogEntry } from '../../src/engine/effects.js';
import { Engine } from '../../src/engine/engine.js';
import { ValueReply } from '../../src/embedded/value-reply.js';
import { testHost } from '../helpers/host.js';

function setup(logsPublish: boolean) {
  const entries: LogEntry[] = [];
  const sink: EffectSink = {
    writeRefusal: () => undefined,
    append: (entry) => entries.push(entry),
    logsPublish,
  };
  const engine = new Engine(16);
  const executor = new Executor({ engine, config: new Config(), host: testHost(), sink });
  const subscriber = new ClientState(1, 0, true);
  const subscriberReply = new ValueReply((text) => text);
  subscriber.reply = subscriberReply;
  const publisher = new ClientState(2, 0, true);
  const run = (client: ClientState, ...argv: string[]): unknown => {
    const reply = new ValueReply((text) => text);
    executor.execute(client, argv, reply, 1000);
    return reply.takeAll()[0];
  };
  return { entries, engine, run, subscriber, subscriberReply, publisher };
}

describe('PUBLISH and the log', () => {
  it('standalone: delivered at once, never logged', () => {
    const { entries, run, subscriber, subscriberReply, publisher } = setup(false);
    run(subscriber, 'SUBSCRIBE', 'ch');
    subscriberReply.takeAll();
    assert.equal(run(publisher, 'PUBLISH', 'ch', 'hello'), 1);
    assert.deepEqual(subscriberReply.takeAll(), [['message', 'ch', 'hello']]);
    assert.equal(run(publisher, 'SPUBLISH', 'ch', 'x'), 0);
    assert.deepEqual(entries, []);
  });

  it('replicated: an effect of the entry, delivered by nobody yet, ignored by the engine', () => {
    const { entries, engine, run, subscriber, subscriberReply, publisher } = setup(true);
    run(subscriber, 'PSUBSCRIBE', 'c*');
    run(subscriber, 'SSUBSCRIBE', 'sh');
    subscriberReply.takeAll();
    // The reply counts the receivers now: one pattern.
    assert.equal(run(publisher, 'PUBLISH', 'ch', 'hello'), 1);
    assert.equal(run(publisher, 'SPUBLISH', 'sh', 'hi'), 1);
    assert.equal(run(publisher, 'SPUBLISH', 'other', 'hi'), 0);
    assert.deepEqual(subscriberReply.takeAll(), [], 'nothing delivered before commit');
    assert.deepEqual(
      entries.map((entry) => entry.effects),
      [
        [[Op.Publish, 0, 'ch', 'hello']],
        [[Op.Publish, 1, 'sh', 'hi']],
        [[Op.Publish, 1, 'other', 'hi']],
      ],
    );
    // A transaction logs its writes and messages as one entry, in order.
    run(publisher, 'MULTI');
    run(publisher, 'SET', 'k', 'v');
    run(publisher, 'PUBLISH', 'ch', 'after-set');
    run(publisher, 'EXEC');
    assert.deepEqual(
      entries[3]?.effects.map((effect) => effect[0]),
      [Op.Set, Op.Publish],
    );
    for (const entry of entries) engine.apply(entry);
    assert.equal(engine.database(0).size, 1);
  });

  it('standalone ROLE, READONLY, RAFT answer as a server without replicas', () => {
    const { run, publisher } = setup(false);
    assert.deepEqual(run(publisher, 'ROLE'), ['master', 0, []]);
    assert.match(String((run(publisher, 'READONLY') as Error).message), /cluster support disabled/);
    assert.match(
      String((run(publisher, 'RAFT', 'STATUS') as Error).message),
      /not a member of a replica group/,
    );
  });
});
