// GEOSEARCH against redis-server for seeded random centres, radii and boxes, over random points
// spread across the world and packed in clusters (near the poles and the antimeridian too):
// every reply (members in scan order, distances, hashes, coordinates) must be Redis's. The
// script is generated from a fixed seed, so a failure names a line that replays.

import { describeConformance, type Script } from '../helpers/conformance.js';
import { randomPoints } from '../helpers/geo-data.js';
import { seeded } from '../persist/helpers.js';

const random = seeded(20240611);
const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
const units = ['m', 'km', 'mi', 'ft'] as const;
const metersPer = { m: 1, km: 1000, mi: 1609.34, ft: 0.3048 } as const;

/** A distance of about `meters`, written in a random unit. */
function distance(meters: number): [string, string] {
  const unit = pick(units);
  return [(meters / metersPer[unit]).toPrecision(6), unit];
}

const clusters: [number, number, number][] = [
  [0, 0, 180],
  [10, 48, 5],
  [179, -20, 3],
  [-179.5, 10, 2],
  [20, 80, 6],
  [-60, -80, 5],
  [139.7, 35.7, 0.2],
];

function setup(): Script {
  const lines: Script = [];
  clusters.forEach(([lon, lat, spread], i) => {
    lines.push({
      run: randomPoints('g', 150, random, lon, lat, spread).map((word, j) =>
        j >= 2 && j % 3 === 1 ? `c${i}${word}` : word,
      ),
    });
  });
  return lines;
}

function query(): string[] {
  const [lon, lat, spread] = pick(clusters);
  const x = Math.max(-180, Math.min(180, lon + (random() * 2 - 1) * spread));
  const y = Math.max(-85, Math.min(85, lat + (random() * 2 - 1) * spread));
  const scale = 10 ** (2 + random() * 5); // 100 m to 10,000 km
  const line = ['GEOSEARCH', 'g', 'FROMLONLAT', x.toFixed(5), y.toFixed(5)];
  if (random() < 0.5) line.push('BYRADIUS', ...distance(scale));
  else {
    const unit = pick(units);
    const width = ((scale * (0.2 + random() * 2)) / metersPer[unit]).toPrecision(5);
    const height = ((scale * (0.2 + random() * 2)) / metersPer[unit]).toPrecision(5);
    line.push('BYBOX', width, height, unit);
  }
  const order = random();
  if (order < 0.25) line.push('ASC');
  else if (order < 0.5) line.push('DESC');
  if (random() < 0.3) {
    line.push('COUNT', String(1 + Math.floor(random() * 20)));
    if (random() < 0.3) line.push('ANY');
  }
  line.push('WITHDIST', 'WITHHASH', 'WITHCOORD');
  return line;
}

const script: Script = [...setup()];
for (let i = 0; i < 250; i++) script.push(query());
// GEORADIUSBYMEMBER from random members, and stores of the same searches.
for (let i = 0; i < 30; i++) {
  const member = `c${Math.floor(random() * clusters.length)}p${Math.floor(random() * 150)}`;
  script.push([
    'GEORADIUSBYMEMBER',
    'g',
    member,
    ...distance(10 ** (3 + random() * 4)),
    'WITHDIST',
  ]);
  script.push([
    'GEOSEARCHSTORE',
    'dst',
    'g',
    'FROMMEMBER',
    member,
    'BYRADIUS',
    ...distance(10 ** (3 + random() * 4)),
  ]);
  script.push(['ZRANGE', 'dst', '0', '-1', 'WITHSCORES']);
}

describeConformance('random geo searches match redis-server', { 'seeded searches': script });
