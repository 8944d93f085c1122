// XREAD and XREADGROUP BLOCK with several clients, compared with redis-server step by step:
// woken by XADD from another client, "$" meaning the last ID when the command blocked,
// timeouts, CLIENT UNBLOCK, a destroyed group, keys of another type, MULTI.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { describeExchanges, plain, type Step, withRedisAndShoal } from '../helpers/conformance.js';
import { RawClient } from '../helpers/raw-client.js';
import { waitFor } from '../helpers/servers.js';

const exchanges: Record<string, Step[]> = {
  'xread woken by xadd, "$" fixed when blocking': [
    [2, ['XADD', 's', '1-1', 'a', '1'], 1],
    [0, ['XREAD', 'BLOCK', '0', 'STREAMS', 's', '$'], 0],
    [1, ['XREAD', 'BLOCK', '0', 'STREAMS', 'other', 's', '$', '0'], 1],
    [1, ['XREAD', 'BLOCK', '0', 'STREAMS', 'other', 's', '$', '$'], 0],
    [2, ['XADD', 's', '2-1', 'b', '2'], 1],
    [0, [], 1],
    [1, [], 1],
    [2, ['XADD', 's', '3-1', 'c', '3'], 1],
    [0, ['XREAD', 'COUNT', '1', 'BLOCK', '0', 'STREAMS', 's', '3-1'], 0],
    [2, ['XADD', 's', '4-1', 'd', '4'], 1],
    [0, [], 1],
  ],
  'xread keeps waiting through other changes': [
    [0, ['XREAD', 'BLOCK', '0', 'STREAMS', 'k', '$'], 0],
    [2, ['SET', 'k', 'text'], 1],
    [2, ['DEL', 'k'], 1],
    [2, ['XADD', 'k', '5-1', 'f', 'v'], 1],
    [0, [], 1],
    [0, ['XREAD', 'BLOCK', '0', 'STREAMS', 'k', '$'], 0],
    [2, ['XDEL', 'k', '5-1'], 1],
    [2, ['XADD', 'k', '6-1', 'f', 'w'], 1],
    [0, [], 1],
  ],
  'timeouts and multi': [
    [0, ['XREAD', 'BLOCK', '50', 'STREAMS', 'none', '$'], 1],
    [0, ['XREADGROUP', 'GROUP', 'g', 'c', 'BLOCK', '50', 'STREAMS', 'none', '>'], 1],
    [2, ['XGROUP', 'CREATE', 's', 'g', '$', 'MKSTREAM'], 1],
    [0, ['XREADGROUP', 'GROUP', 'g', 'c', 'BLOCK', '50', 'STREAMS', 's', '>'], 1],
    [1, ['MULTI'], 1],
    [1, ['XREAD', 'BLOCK', '0', 'STREAMS', 's', '$'], 1],
    [1, ['EXEC'], 1],
  ],
  'xreadgroup woken by xadd': [
    [2, ['XGROUP', 'CREATE', 's', 'g', '$', 'MKSTREAM'], 1],
    [0, ['XREADGROUP', 'GROUP', 'g', 'alice', 'BLOCK', '0', 'STREAMS', 's', '>'], 0],
    [1, ['XREADGROUP', 'GROUP', 'g', 'bob', 'COUNT', '1', 'BLOCK', '0', 'STREAMS', 's', '>'], 0],
    [2, ['XADD', 's', '1-1', 'a', '1'], 1],
    [0, [], 1],
    [2, ['XADD', 's', '2-1', 'b', '2'], 1],
    [1, [], 1],
    [2, ['XPENDING', 's', 'g'], 1],
    [2, ['XINFO', 'GROUPS', 's'], 1],
    [0, ['XREADGROUP', 'GROUP', 'g', 'alice', 'NOACK', 'BLOCK', '0', 'STREAMS', 's', '>'], 0],
    [2, ['XADD', 's', '3-1', 'c', '3'], 1],
    [0, [], 1],
    [2, ['XPENDING', 's', 'g'], 1],
  ],
  'xreadgroup and a destroyed group': [
    [2, ['XGROUP', 'CREATE', 's', 'g', '$', 'MKSTREAM'], 1],
    [0, ['XREADGROUP', 'GROUP', 'g', 'alice', 'BLOCK', '0', 'STREAMS', 's', '>'], 0],
    [2, ['XGROUP', 'DESTROY', 's', 'g'], 1],
    [0, [], 1],
  ],
};

describeExchanges('stream blocking matches redis-server', exchanges);

describe('CLIENT UNBLOCK of XREAD and XREADGROUP matches redis-server', () => {
  const pair = withRedisAndShoal();

  it('answers with an error or the timeout reply', async (t) => {
    if (pair.redis === undefined) return t.skip('redis-server is not installed');
    const transcripts: unknown[] = [];
    for (const port of [pair.redis.port, pair.shoal.port]) {
      const [blocked, admin] = [await RawClient.connect(port), await RawClient.connect(port)];
      try {
        await admin.call('FLUSHALL');
        await admin.call('XGROUP', 'CREATE', 's', 'g', '$', 'MKSTREAM');
        const id = String(await blocked.call('CLIENT', 'ID'));
        const transcript: unknown[] = [];
        for (const [argv, how] of [
          [['XREAD', 'BLOCK', '0', 'STREAMS', 's', '$'], 'ERROR'],
          [['XREAD', 'BLOCK', '0', 'STREAMS', 's', '$'], 'TIMEOUT'],
          [['XREADGROUP', 'GROUP', 'g', 'c', 'BLOCK', '0', 'STREAMS', 's', '>'], 'ERROR'],
          [['XREADGROUP', 'GROUP', 'g', 'c', 'BLOCK', '0', 'STREAMS', 's', '>'], 'TIMEOUT'],
        ] as const) {
          blocked.send(...argv);
          await waitFor(
            async () => /blocked_clients:1/.test(String(await admin.call('INFO', 'clients'))),
            'a blocked client',
          );
          transcript.push(plain(await admin.call('CLIENT', 'UNBLOCK', id, how)));
          transcript.push((await blocked.read(1)).map(plain));
        }
        transcript.push(plain(await admin.call('XINFO', 'GROUPS', 's')));
        transcripts.push(transcript);
      } finally {
        blocked.close();
        admin.close();
      }
    }
    assert.deepEqual(transcripts[1], transcripts[0]);
  });
});
