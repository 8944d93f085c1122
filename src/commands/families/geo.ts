// Geo commands (geo.c): a geo set is a sorted set whose scores are 52-bit geohashes
// (geo-hash.ts). GEOADD turns positions into scores and runs ZADD, as Redis does, so writes are
// ZADD's effects and notifications; searches scan the score ranges of up to 9 geohash boxes in
// Redis's order and filter by distance; GEOSEARCHSTORE and STORE write a new sorted set (scores
// are geohashes, or distances with STOREDIST) or delete the destination when nothing matched.

import { Below } from '../../engine/types/zset-tree.js';
import type { SortedSetValue } from '../../engine/types/zset.js';
import { formatFixed, formatHumanFixed } from '../../util/numbers.js';
import { isWord } from '../args.js';
import type { CommandContext } from '../context.js';
import { Errors, fail } from '../errors.js';
import { command, type CommandDefinition, oneKey } from '../spec.js';
import {
  boxScoreRange,
  decodeScore,
  distance,
  distanceIfInside,
  encodeScoreText,
  GEO_LAT_MAX,
  GEO_LAT_MIN,
  GEO_LONG_MAX,
  GEO_LONG_MIN,
  type GeoShape,
  isNoBox,
  searchBoxes,
  standardGeohash,
} from './geo-hash.js';
import { pqsort } from './geo-sort.js';
import { longArg, lookupSortedSet, scoreArg } from './zsets-args.js';
import { storeSortedSet } from './zsets-reply.js';
import { zadd } from './zsets-write.js';

/** extractLongLatOrReply: two doubles inside Redis's ranges. */
function longitudeLatitudeArgs(argv: string[], index: number): [number, number] {
  const longitude = scoreArg(argv[index]);
  const latitude = scoreArg(argv[index + 1]);
  if (
    longitude < GEO_LONG_MIN ||
    longitude > GEO_LONG_MAX ||
    latitude < GEO_LAT_MIN ||
    latitude > GEO_LAT_MAX
  ) {
    fail(
      `ERR invalid longitude,latitude pair ${formatFixed(longitude, 6)},${formatFixed(latitude, 6)}`,
    );
  }
  return [longitude, latitude];
}

/** extractUnitOrReply: meters per unit. */
function unitArg(text: string | undefined): number {
  const unit = (text ?? '').toLowerCase();
  if (unit === 'm') return 1;
  if (unit === 'km') return 1000;
  if (unit === 'ft') return 0.3048;
  if (unit === 'mi') return 1609.34;
  fail('ERR unsupported unit provided. please use M, KM, FT, MI');
}

/** extractDistanceOrReply: radius then unit. */
function radiusArgs(argv: string[], index: number, shape: GeoShape): void {
  const radius = scoreArg(argv[index], 'ERR need numeric radius');
  if (radius < 0) fail('ERR radius cannot be negative');
  shape.radius = radius;
  shape.conversion = unitArg(argv[index + 1]);
}

/** extractBoxOrReply: width, height, unit. */
function boxArgs(argv: string[], index: number, shape: GeoShape): void {
  const width = scoreArg(argv[index], 'ERR need numeric width');
  const height = scoreArg(argv[index + 1], 'ERR need numeric height');
  if (height < 0 || width < 0) fail('ERR height or width cannot be negative');
  shape.width = width;
  shape.height = height;
  shape.conversion = unitArg(argv[index + 2]);
}

/** "%.4f": distances, as addReplyDoubleDistance. */
function replyDistance(ctx: CommandContext, meters: number): void {
  ctx.reply.bulk(formatFixed(meters, 4));
}

/** addReplyHumanLongDouble: a bulk string in RESP2, a double in RESP3, "%.17Lf" trimmed. */
function replyCoordinate(ctx: CommandContext, value: number): void {
  ctx.reply.double(value, formatHumanFixed(value));
}

/** GEOADD key [NX|XX] [CH] longitude latitude member [...] */
function geoadd(ctx: CommandContext, argv: string[]): void {
  let nx = false;
  let xx = false;
  let first = 2;
  for (; first < argv.length; first++) {
    const word = argv[first];
    if (isWord(word, 'NX')) nx = true;
    else if (isWord(word, 'XX')) xx = true;
    else if (!isWord(word, 'CH')) break;
  }
  if ((argv.length - first) % 3 !== 0 || (xx && nx)) fail(Errors.syntax);
  // Redis rewrites the command as ZADD key [options] score member ... and runs it.
  const zaddArgv = ['zadd', ...argv.slice(1, first)];
  for (let i = first; i < argv.length; i += 3) {
    const [longitude, latitude] = longitudeLatitudeArgs(argv, i);
    zaddArgv.push(encodeScoreText(longitude, latitude), argv[i + 2] as string);
  }
  zadd(ctx, zaddArgv);
}

/** GEODIST key member1 member2 [unit] */
function geodist(ctx: CommandContext, argv: string[]): void {
  let toMeters = 1;
  if (argv.length === 5) toMeters = unitArg(argv[4]);
  else if (argv.length > 5) fail(Errors.syntax);
  const value = lookupSortedSet(ctx, argv[1] as string);
  if (value === undefined) return ctx.reply.nil();
  const score1 = value.score(argv[2] as string);
  const score2 = value.score(argv[3] as string);
  if (score1 === undefined || score2 === undefined) return ctx.reply.nil();
  const [lon1, lat1] = decodeScore(score1);
  const [lon2, lat2] = decodeScore(score2);
  replyDistance(ctx, distance(lon1, lat1, lon2, lat2) / toMeters);
}

/** GEOHASH key [member ...] */
function geohash(ctx: CommandContext, argv: string[]): void {
  const value = lookupSortedSet(ctx, argv[1] as string);
  ctx.reply.array(argv.length - 2);
  for (let i = 2; i < argv.length; i++) {
    const score = value?.score(argv[i] as string);
    if (score === undefined) ctx.reply.nil();
    else ctx.reply.bulk(standardGeohash(score));
  }
}

/** GEOPOS key [member ...] */
function geopos(ctx: CommandContext, argv: string[]): void {
  const value = lookupSortedSet(ctx, argv[1] as string);
  ctx.reply.array(argv.length - 2);
  for (let i = 2; i < argv.length; i++) {
    const score = value?.score(argv[i] as string);
    if (score === undefined) {
      ctx.reply.nilArray();
      continue;
    }
    const [longitude, latitude] = decodeScore(score);
    ctx.reply.array(2);
    replyCoordinate(ctx, longitude);
    replyCoordinate(ctx, latitude);
  }
}

/** A member found inside the search area. */
interface GeoPoint {
  longitude: number;
  latitude: number;
  /** Meters while searching, the request's unit once replied or stored. */
  distance: number;
  member: string;
  score: number;
}

/**
 * geoGetPointsInRange over every box (membersOfAllNeighbors): members in ascending score order
 * inside each box, boxes in Redis's order, a box equal to the one just read skipped, and with
 * `limit` (COUNT … ANY) the scan stops once that many matched.
 */
function pointsInShape(value: SortedSetValue, shape: GeoShape, limit: number): GeoPoint[] {
  const points: GeoPoint[] = [];
  const boxes = searchBoxes(shape);
  let lastProcessed = 0;
  for (let i = 0; i < boxes.length; i++) {
    const box = boxes[i] as (typeof boxes)[number];
    if (isNoBox(box)) continue;
    const previous = boxes[lastProcessed] as (typeof boxes)[number];
    if (lastProcessed !== 0 && box.bits === previous.bits && box.step === previous.step) continue;
    if (points.length > 0 && limit > 0 && points.length >= limit) break;
    const [min, max] = boxScoreRange(box);
    const start = value.index.countWhere(Below.scoreLess, min, '');
    value.index.forEach(start, value.size, (score, member) => {
      if (!(score < max)) return false;
      const [longitude, latitude] = decodeScore(score);
      const meters = distanceIfInside(shape, longitude, latitude);
      if (meters !== undefined) {
        points.push({ longitude, latitude, distance: meters, member, score });
      }
      if (points.length > 0 && limit > 0 && points.length >= limit) return false;
      return true;
    });
    lastProcessed = i;
  }
  return points;
}

const enum Flag {
  coordinates = 1,
  member = 2,
  noStore = 4,
  search = 8,
  searchStore = 16,
}

const enum Sort {
  none,
  ascending,
  descending,
}

interface SearchOptions {
  withDistance: boolean;
  withHash: boolean;
  withCoordinates: boolean;
  fromMember: boolean;
  fromLocation: boolean;
  byRadius: boolean;
  byBox: boolean;
  sort: Sort;
  any: boolean;
  count: number;
  storeKey: string | undefined;
  storeDistance: boolean;
}

function emptyShape(): GeoShape {
  return {
    longitude: 0,
    latitude: 0,
    circular: true,
    radius: 0,
    width: 0,
    height: 0,
    conversion: 0,
  };
}

/** The option words after `base`, parsed (and checked) in Redis's order. */
function parseSearchOptions(
  argv: string[],
  base: number,
  flags: number,
  value: SortedSetValue | undefined,
  shape: GeoShape,
  options: SearchOptions,
): void {
  const remaining = argv.length - base;
  const store = (flags & Flag.noStore) === 0 && (flags & Flag.search) === 0;
  for (let i = 0; i < remaining; i++) {
    const word = argv[base + i];
    const at = base + i + 1;
    if (isWord(word, 'WITHDIST')) options.withDistance = true;
    else if (isWord(word, 'WITHHASH')) options.withHash = true;
    else if (isWord(word, 'WITHCOORD')) options.withCoordinates = true;
    else if (isWord(word, 'ANY')) options.any = true;
    else if (isWord(word, 'ASC')) options.sort = Sort.ascending;
    else if (isWord(word, 'DESC')) options.sort = Sort.descending;
    else if (isWord(word, 'COUNT') && i + 1 < remaining) {
      options.count = longArg(argv[at]);
      if (options.count <= 0) fail('ERR COUNT must be > 0');
      i++;
    } else if (isWord(word, 'STORE') && i + 1 < remaining && store) {
      options.storeKey = argv[at];
      options.storeDistance = false;
      i++;
    } else if (isWord(word, 'STOREDIST') && i + 1 < remaining && store) {
      options.storeKey = argv[at];
      options.storeDistance = true;
      i++;
    } else if (
      isWord(word, 'STOREDIST') &&
      (flags & Flag.search) !== 0 &&
      (flags & Flag.searchStore) !== 0
    ) {
      options.storeDistance = true;
    } else if (
      isWord(word, 'FROMMEMBER') &&
      i + 1 < remaining &&
      (flags & Flag.search) !== 0 &&
      !options.fromLocation
    ) {
      if (value !== undefined) centreOnMember(value, argv[at] as string, shape);
      options.fromMember = true;
      i++;
    } else if (
      isWord(word, 'FROMLONLAT') &&
      i + 2 < remaining &&
      (flags & Flag.search) !== 0 &&
      !options.fromMember
    ) {
      [shape.longitude, shape.latitude] = longitudeLatitudeArgs(argv, at);
      options.fromLocation = true;
      i += 2;
    } else if (
      isWord(word, 'BYRADIUS') &&
      i + 2 < remaining &&
      (flags & Flag.search) !== 0 &&
      !options.byBox
    ) {
      radiusArgs(argv, at, shape);
      shape.circular = true;
      options.byRadius = true;
      i += 2;
    } else if (
      isWord(word, 'BYBOX') &&
      i + 3 < remaining &&
      (flags & Flag.search) !== 0 &&
      !options.byRadius
    ) {
      boxArgs(argv, at, shape);
      shape.circular = false;
      options.byBox = true;
      i += 3;
    } else {
      fail(Errors.syntax);
    }
  }
}

function centreOnMember(value: SortedSetValue, member: string, shape: GeoShape): void {
  const score = value.score(member);
  if (score === undefined) fail('ERR could not decode requested zset member');
  [shape.longitude, shape.latitude] = decodeScore(score);
}

/** georadiusGeneric: every search command, `sourceIndex` naming the geo set. */
function searchGeneric(
  ctx: CommandContext,
  argv: string[],
  sourceIndex: number,
  flags: number,
): void {
  const value = lookupSortedSet(ctx, argv[sourceIndex] as string);
  const shape = emptyShape();
  const options: SearchOptions = {
    withDistance: false,
    withHash: false,
    withCoordinates: false,
    fromMember: false,
    fromLocation: false,
    byRadius: false,
    byBox: false,
    sort: Sort.none,
    any: false,
    count: 0,
    storeKey: undefined,
    storeDistance: false,
  };
  let base: number;
  if ((flags & Flag.coordinates) !== 0) {
    base = 6;
    [shape.longitude, shape.latitude] = longitudeLatitudeArgs(argv, 2);
    radiusArgs(argv, 4, shape);
  } else if ((flags & Flag.member) !== 0) {
    // Without the key Redis still parses the options (they decide the reply's shape).
    base = 5;
    if (value !== undefined) {
      centreOnMember(value, argv[2] as string, shape);
      radiusArgs(argv, 3, shape);
    }
  } else {
    base = 2;
    if ((flags & Flag.searchStore) !== 0) {
      base = 3;
      options.storeKey = argv[1];
    }
  }
  parseSearchOptions(argv, base, flags, value, shape, options);
  const name = argv[0] as string;
  if (
    options.storeKey !== undefined &&
    (options.withDistance || options.withHash || options.withCoordinates)
  ) {
    const what = (flags & Flag.searchStore) !== 0 ? 'GEOSEARCHSTORE' : 'STORE option in GEORADIUS';
    fail(`ERR ${what} is not compatible with WITHDIST, WITHHASH and WITHCOORD options`);
  }
  if ((flags & Flag.search) !== 0 && !(options.fromMember || options.fromLocation)) {
    fail(`ERR exactly one of FROMMEMBER or FROMLONLAT can be specified for ${name}`);
  }
  if ((flags & Flag.search) !== 0 && !(options.byRadius || options.byBox)) {
    fail(`ERR exactly one of BYRADIUS and BYBOX can be specified for ${name}`);
  }
  if (options.any && options.count === 0) fail('ERR the ANY argument requires COUNT argument');
  const event = (flags & Flag.search) !== 0 ? 'geosearchstore' : 'georadiusstore';
  if (value === undefined) {
    if (options.storeKey === undefined) return ctx.reply.array(0);
    storeSortedSet(ctx, options.storeKey, [], [], event);
    return ctx.reply.int(0);
  }
  // COUNT without ANY returns the nearest: it implies ASC.
  if (options.count !== 0 && options.sort === Sort.none && !options.any) {
    options.sort = Sort.ascending;
  }
  const points = pointsInShape(value, shape, options.any ? options.count : 0);
  if (points.length === 0 && options.storeKey === undefined) return ctx.reply.array(0);
  const returned =
    options.count === 0 || points.length < options.count ? points.length : options.count;
  sortPoints(points, options.sort, returned);
  for (let i = 0; i < returned; i++) {
    const point = points[i] as GeoPoint;
    point.distance /= shape.conversion;
  }
  if (options.storeKey === undefined) return replyPoints(ctx, points, returned, options);
  const scores: number[] = [];
  const members: string[] = [];
  for (let i = 0; i < returned; i++) {
    const point = points[i] as GeoPoint;
    scores.push(options.storeDistance ? point.distance : point.score);
    members.push(point.member);
  }
  storeSortedSet(ctx, options.storeKey, scores, members, event);
  ctx.reply.int(returned);
}

function sortPoints(points: GeoPoint[], sort: Sort, returned: number): void {
  if (sort === Sort.none) return;
  const ascending = (a: GeoPoint, b: GeoPoint): number =>
    a.distance > b.distance ? 1 : a.distance === b.distance ? 0 : -1;
  const compare =
    sort === Sort.ascending ? ascending : (a: GeoPoint, b: GeoPoint) => -ascending(a, b);
  // glibc's qsort is a stable merge sort, as Array.prototype.sort; a partial result is pqsort's.
  if (returned === points.length) points.sort(compare);
  else pqsort(points, compare, 0, returned - 1);
}

function replyPoints(
  ctx: CommandContext,
  points: GeoPoint[],
  returned: number,
  options: SearchOptions,
): void {
  const extras =
    (options.withDistance ? 1 : 0) + (options.withCoordinates ? 1 : 0) + (options.withHash ? 1 : 0);
  ctx.reply.array(returned);
  for (let i = 0; i < returned; i++) {
    const point = points[i] as GeoPoint;
    if (extras > 0) ctx.reply.array(extras + 1);
    ctx.reply.bulk(point.member);
    if (options.withDistance) replyDistance(ctx, point.distance);
    if (options.withHash) ctx.reply.int(Math.trunc(point.score));
    if (options.withCoordinates) {
      ctx.reply.array(2);
      replyCoordinate(ctx, point.longitude);
      replyCoordinate(ctx, point.latitude);
    }
  }
}

function georadius(ctx: CommandContext, argv: string[]): void {
  searchGeneric(ctx, argv, 1, Flag.coordinates);
}

function georadiusReadOnly(ctx: CommandContext, argv: string[]): void {
  searchGeneric(ctx, argv, 1, Flag.coordinates | Flag.noStore);
}

function georadiusByMember(ctx: CommandContext, argv: string[]): void {
  searchGeneric(ctx, argv, 1, Flag.member);
}

function georadiusByMemberReadOnly(ctx: CommandContext, argv: string[]): void {
  searchGeneric(ctx, argv, 1, Flag.member | Flag.noStore);
}

function geosearch(ctx: CommandContext, argv: string[]): void {
  searchGeneric(ctx, argv, 1, Flag.search);
}

function geosearchstore(ctx: CommandContext, argv: string[]): void {
  searchGeneric(ctx, argv, 2, Flag.search | Flag.searchStore);
}

/**
 * georadiusGetKeys: the source key, then the key after the last STORE or STOREDIST (Redis scans
 * from the 6th word for both GEORADIUS and GEORADIUSBYMEMBER).
 */
function radiusKeys(argv: readonly string[]): string[] {
  const keys = argv.length > 1 ? [argv[1] as string] : [];
  let stored = -1;
  for (let i = 5; i < argv.length; i++) {
    if ((isWord(argv[i], 'STORE') || isWord(argv[i], 'STOREDIST')) && i + 1 < argv.length) {
      stored = i + 1;
      i++;
    }
  }
  if (stored !== -1) keys.push(argv[stored] as string);
  return keys;
}

const group = 'geo';

export const geoCommands: CommandDefinition[] = [
  command('geoadd', -5, group, 'Adds members with their positions to a geo set.', geoadd, {
    flags: ['write', 'denyoom'],
    keys: oneKey,
    since: '3.2.0',
  }),
  command('geodist', -4, group, 'Returns the distance between two members.', geodist, {
    flags: ['readonly'],
    keys: oneKey,
    since: '3.2.0',
  }),
  command('geohash', -2, group, 'Returns members as geohash strings.', geohash, {
    flags: ['readonly'],
    keys: oneKey,
    since: '3.2.0',
  }),
  command('geopos', -2, group, 'Returns the longitude and latitude of members.', geopos, {
    flags: ['readonly'],
    keys: oneKey,
    since: '3.2.0',
  }),
  command('georadius', -6, group, 'Finds members within a radius of a point.', georadius, {
    flags: ['write', 'denyoom'],
    keys: oneKey,
    getKeys: radiusKeys,
    since: '3.2.0',
  }),
  command(
    'georadius_ro',
    -6,
    group,
    'Finds members within a radius of a point (read-only).',
    georadiusReadOnly,
    { flags: ['readonly'], keys: oneKey, since: '3.2.10' },
  ),
  command(
    'georadiusbymember',
    -5,
    group,
    'Finds members within a radius of a member.',
    georadiusByMember,
    { flags: ['write', 'denyoom'], keys: oneKey, getKeys: radiusKeys, since: '3.2.0' },
  ),
  command(
    'georadiusbymember_ro',
    -5,
    group,
    'Finds members within a radius of a member (read-only).',
    georadiusByMemberReadOnly,
    { flags: ['readonly'], keys: oneKey, since: '3.2.10' },
  ),
  command('geosearch', -7, group, 'Finds members inside a circle or a box.', geosearch, {
    flags: ['readonly'],
    keys: oneKey,
    since: '6.2.0',
  }),
  command(
    'geosearchstore',
    -8,
    group,
    'Stores the members inside a circle or a box in a new sorted set.',
    geosearchstore,
    { flags: ['write', 'denyoom'], keys: [1, 2, 1], since: '6.2.0' },
  ),
];
