// Geo commands through real client libraries over TCP (ioredis in RESP2, node-redis in RESP2
// and RESP3) and through the embedded API, including a geo set surviving a reopen (GEOADD is
// logged as sorted set effects).

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { open } from '../../src/embedded/index.js';
import { clientsOnShoal } from '../helpers/clients.js';

const sicily = ['13.361389', '38.115556', 'Palermo', '15.087269', '37.502669', 'Catania'];

describe('geo commands through client libraries', () => {
  const clients = clientsOnShoal();

  it('ioredis: add, positions, distances, hashes, searches', async () => {
    await clients.ioredis.del('io:geo');
    assert.equal(await clients.ioredis.geoadd('io:geo', ...sicily), 2);
    assert.deepEqual(await clients.ioredis.geopos('io:geo', 'Palermo', 'nowhere'), [
      ['13.36138933897018433', '38.11555639549629859'],
      null,
    ]);
    assert.equal(await clients.ioredis.geodist('io:geo', 'Palermo', 'Catania', 'KM'), '166.2742');
    assert.deepEqual(await clients.ioredis.geohash('io:geo', 'Palermo', 'Catania'), [
      'sqc8b49rny0',
      'sqdtr74hyu0',
    ]);
    assert.deepEqual(
      await clients.ioredis.geosearch(
        'io:geo',
        'FROMLONLAT',
        15,
        37,
        'BYRADIUS',
        200,
        'km',
        'ASC',
        'WITHDIST',
      ),
      [
        ['Catania', '56.4413'],
        ['Palermo', '190.4424'],
      ],
    );
    assert.deepEqual(await clients.ioredis.georadius('io:geo', 15, 37, 100, 'km'), ['Catania']);
    assert.equal(
      await clients.ioredis.geosearchstore(
        'io:dst',
        'io:geo',
        'FROMMEMBER',
        'Palermo',
        'BYRADIUS',
        200,
        'km',
        'STOREDIST',
      ),
      2,
    );
    assert.equal(Number(await clients.ioredis.zscore('io:dst', 'Catania')).toFixed(4), '166.2742');
    await assert.rejects(
      clients.ioredis.geoadd('io:geo', 200, 100, 'x'),
      /invalid longitude,latitude pair 200\.000000,100\.000000/,
    );
  });

  it('node-redis in RESP2 and RESP3: coordinates as numbers, RESP3 doubles', async () => {
    await clients.nodeRedis.del('nr:geo');
    assert.equal(
      await clients.nodeRedis.geoAdd('nr:geo', [
        { longitude: 13.361389, latitude: 38.115556, member: 'Palermo' },
        { longitude: 15.087269, latitude: 37.502669, member: 'Catania' },
      ]),
      2,
    );
    assert.deepEqual(await clients.nodeRedis.geoPos('nr:geo', ['Palermo']), [
      { longitude: 13.361389338970184, latitude: 38.1155563954963 },
    ]);
    assert.equal(await clients.nodeRedis.geoDist('nr:geo', 'Palermo', 'Catania', 'km'), 166.2742);
    assert.deepEqual(
      await clients.nodeRedis.geoSearch(
        'nr:geo',
        { longitude: 15, latitude: 37 },
        { radius: 100, unit: 'km' },
      ),
      ['Catania'],
    );
    const resp3 = await clients.nodeRedis3.sendCommand(['GEOPOS', 'nr:geo', 'Catania', 'nowhere']);
    assert.deepEqual(resp3, [[15.087267458438873, 37.50266842333162], null]);
    const withDist = await clients.nodeRedis3.sendCommand([
      'GEOSEARCH',
      'nr:geo',
      'FROMMEMBER',
      'Palermo',
      'BYRADIUS',
      '200',
      'km',
      'ASC',
      'WITHDIST',
    ]);
    assert.deepEqual(withDist, [
      ['Palermo', '0.0000'],
      ['Catania', '166.2742'],
    ]);
  });

  it('embedded: the same replies, and a geo set survives a reopen', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'shoal-geo-'));
    try {
      let db = await open({ dir });
      assert.equal(await db.command('GEOADD', 'g', ...sicily), 2);
      assert.deepEqual(await db.command('GEOPOS', 'g', 'Palermo'), [
        ['13.36138933897018433', '38.11555639549629859'],
      ]);
      assert.equal(await db.command('GEODIST', 'g', 'Palermo', 'Catania'), '166274.1516');
      assert.equal(
        await db.command('GEOSEARCHSTORE', 'd', 'g', 'FROMLONLAT', 15, 37, 'BYBOX', 400, 400, 'km'),
        2,
      );
      await db.close();
      db = await open({ dir });
      try {
        assert.deepEqual(await db.command('GEOHASH', 'g', 'Palermo', 'Catania'), [
          'sqc8b49rny0',
          'sqdtr74hyu0',
        ]);
        assert.deepEqual(
          await db.command('GEORADIUS_RO', 'd', 15, 37, 200, 'km', 'WITHHASH', 'ASC'),
          [
            ['Catania', 3479447370796909],
            ['Palermo', 3479099956230698],
          ],
        );
      } finally {
        await db.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
