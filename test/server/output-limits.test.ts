// A subscriber that does not read is cut off by the pub/sub output buffer limit; the server,
// the publisher and other clients carry on, and the disconnection is counted.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ReplyError } from '../../src/resp/reply-reader.js';
import { RawClient } from '../helpers/raw-client.js';
import { type RunningServer, startShoal, waitFor } from '../helpers/servers.js';

describe('client-output-buffer-limit', () => {
  let shoal: RunningServer;
  before(async () => {
    shoal = await startShoal({ 'client-output-buffer-limit': 'pubsub 1mb 256kb 0' });
  });
  after(async () => {
    await shoal.stop();
  });

  it('keeps the setting in Redis syntax, merging the classes given', async () => {
    const client = await RawClient.connect(shoal.port);
    assert.deepEqual(await client.call('CONFIG', 'GET', 'client-output-buffer-limit'), [
      'client-output-buffer-limit',
      'normal 0 0 0 slave 268435456 67108864 60 pubsub 1048576 262144 0',
    ]);
    const bad = await client.call('CONFIG', 'SET', 'client-output-buffer-limit', 'nobody 1 1 1');
    assert.ok(bad instanceof ReplyError);
    client.close();
  });

  it('closes a subscriber that stops reading', async () => {
    const subscriber = await RawClient.connect(shoal.port);
    subscriber.send('SUBSCRIBE', 'firehose');
    await subscriber.read(1);
    subscriber.socket.pause();
    const publisher = await RawClient.connect(shoal.port);
    const payload = 'x'.repeat(4096);
    for (let batch = 0; batch < 200 && !subscriber.socket.destroyed; batch++) {
      for (let i = 0; i < 50; i++) publisher.send('PUBLISH', 'firehose', payload);
      await publisher.read(50);
      const info = (await publisher.call('INFO', 'stats')) as unknown as { toString(): string };
      if (/client_output_buffer_limit_disconnections:1/.test(String(info))) break;
    }
    await waitFor(async () => /client_output_buffer_limit_disconnections:1/.test(String(await publisher.call('INFO', 'stats'))), 'the subscriber to be cut off');
    assert.equal(await publisher.call('PUBLISH', 'firehose', 'anyone?'), 0);
    assert.equal(await publisher.call('PING'), 'PONG');
    publisher.close();
    subscriber.close();
  });
});
