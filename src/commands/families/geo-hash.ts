// The geohash arithmetic of Redis's geohash.c and geohash_helper.c, ported with the same
// operations in the same order so that every double comes out as Redis computes it.
//
// A position is stored as a sorted set score: 26 bits of latitude and 26 of longitude,
// interleaved (latitude in the even bits, longitude in the odd ones), over the latitude range
// -85.05112878..85.05112878 (Web Mercator's) and longitude -180..180. A search covers its area
// with the box holding the centre plus its 8 neighbours, at a precision (step) estimated from
// the radius, and reads each box as one score range.
//
// Hashes of search boxes are bigints (a step-26 hash of longitude 180 needs 54 bits); decoding
// a member's score, done once per scanned member, works on numbers. Trigonometry is rounded to the
// nearest double (util/rounded-math.ts), which is what glibc returns for nearly every argument.

import { roundedAsin, roundedCos, roundedSin } from '../../util/rounded-math.js';

export const GEO_STEP_MAX = 26;
export const GEO_LONG_MIN = -180;
export const GEO_LONG_MAX = 180;
export const GEO_LAT_MIN = -85.05112878;
export const GEO_LAT_MAX = 85.05112878;

const EARTH_RADIUS_IN_METERS = 6372797.560856;
const MERCATOR_MAX = 20037726.37;
/** M_PI / 180.0 */
const D_R = Math.PI / 180;

export interface GeoRange {
  min: number;
  max: number;
}

/** The WGS84 ranges Redis indexes with. */
export const LONG_RANGE: GeoRange = { min: GEO_LONG_MIN, max: GEO_LONG_MAX };
export const LAT_RANGE: GeoRange = { min: GEO_LAT_MIN, max: GEO_LAT_MAX };

/** A geohash: `step` bits of each coordinate, interleaved. step 0 with bits 0 is "no box". */
export interface HashBits {
  bits: bigint;
  step: number;
}

export interface HashArea {
  longitudeMin: number;
  longitudeMax: number;
  latitudeMin: number;
  latitudeMax: number;
}

function degreesToRadians(angle: number): number {
  return angle * D_R;
}

function radiansToDegrees(angle: number): number {
  return angle / D_R;
}

/** Spreads the 16 low bits of `value` to the even bits of a 32-bit number. */
function spread16(value: number): number {
  let x = value & 0xffff;
  x = (x | (x << 8)) & 0x00ff00ff;
  x = (x | (x << 4)) & 0x0f0f0f0f;
  x = (x | (x << 2)) & 0x33333333;
  x = (x | (x << 1)) & 0x55555555;
  return x >>> 0;
}

/** Gathers the even bits of a 32-bit number into 16 bits. */
function compactEven(value: number): number {
  let x = value & 0x55555555;
  x = (x | (x >>> 1)) & 0x33333333;
  x = (x | (x >>> 2)) & 0x0f0f0f0f;
  x = (x | (x >>> 4)) & 0x00ff00ff;
  x = (x | (x >>> 8)) & 0x0000ffff;
  return x;
}

function spread32(value: number): bigint {
  return BigInt(spread16(value)) | (BigInt(spread16(value >>> 16)) << 32n);
}

/** interleave64: x (latitude) in the even bits, y (longitude) in the odd bits. */
function interleave(x: number, y: number): bigint {
  return spread32(x) | (spread32(y) << 1n);
}

/** deinterleave64 of a 64-bit value given as two 32-bit halves: [latitude bits, longitude bits]. */
function deinterleave(high: number, low: number): [number, number] {
  const latitude = (compactEven(low) | (compactEven(high) << 16)) >>> 0;
  const longitude = (compactEven(low >>> 1) | (compactEven(high >>> 1) << 16)) >>> 0;
  return [latitude, longitude];
}

/** C's uint32_t conversion of a double in [0, 2^32). */
function toUint32(value: number): number {
  return Math.trunc(value) >>> 0;
}

/** geohashEncode; undefined where Redis returns 0 (coordinates outside the ranges). */
export function encode(
  longRange: GeoRange,
  latRange: GeoRange,
  longitude: number,
  latitude: number,
  step: number,
): HashBits | undefined {
  if (step > 32 || step === 0) return undefined;
  if (
    longitude > GEO_LONG_MAX ||
    longitude < GEO_LONG_MIN ||
    latitude > GEO_LAT_MAX ||
    latitude < GEO_LAT_MIN
  ) {
    return undefined;
  }
  if (
    latitude < latRange.min ||
    latitude > latRange.max ||
    longitude < longRange.min ||
    longitude > longRange.max
  ) {
    return undefined;
  }
  let latOffset = (latitude - latRange.min) / (latRange.max - latRange.min);
  let longOffset = (longitude - longRange.min) / (longRange.max - longRange.min);
  latOffset *= 2 ** step;
  longOffset *= 2 ** step;
  return { bits: interleave(toUint32(latOffset), toUint32(longOffset)), step };
}

/** The score GEOADD stores for a position (geohashAlign52Bits of the step-26 hash). */
export function encodeScoreText(longitude: number, latitude: number): string {
  const hash = encode(LONG_RANGE, LAT_RANGE, longitude, latitude, GEO_STEP_MAX);
  return (hash?.bits ?? 0n).toString();
}

/** geohashDecode. */
export function decodeArea(longRange: GeoRange, latRange: GeoRange, hash: HashBits): HashArea {
  const high = Number((hash.bits >> 32n) & 0xffffffffn);
  const low = Number(hash.bits & 0xffffffffn);
  return decodeHalves(longRange, latRange, high, low, hash.step);
}

function decodeHalves(
  longRange: GeoRange,
  latRange: GeoRange,
  high: number,
  low: number,
  step: number,
): HashArea {
  const [latBits, longBits] = deinterleave(high, low);
  const latScale = latRange.max - latRange.min;
  const longScale = longRange.max - longRange.min;
  const cells = 2 ** step;
  // (ilato + 1) is uint32 arithmetic in C: it wraps.
  return {
    latitudeMin: latRange.min + ((latBits * 1.0) / cells) * latScale,
    latitudeMax: latRange.min + ((((latBits + 1) >>> 0) * 1.0) / cells) * latScale,
    longitudeMin: longRange.min + ((longBits * 1.0) / cells) * longScale,
    longitudeMax: longRange.min + ((((longBits + 1) >>> 0) * 1.0) / cells) * longScale,
  };
}

/** geohashDecodeAreaToLongLat: the centre, clamped to the ranges. */
function areaCentre(area: HashArea): [number, number] {
  let longitude = (area.longitudeMin + area.longitudeMax) / 2;
  if (longitude > GEO_LONG_MAX) longitude = GEO_LONG_MAX;
  if (longitude < GEO_LONG_MIN) longitude = GEO_LONG_MIN;
  let latitude = (area.latitudeMin + area.latitudeMax) / 2;
  if (latitude > GEO_LAT_MAX) latitude = GEO_LAT_MAX;
  if (latitude < GEO_LAT_MIN) latitude = GEO_LAT_MIN;
  return [longitude, latitude];
}

const TWO_32 = 2 ** 32;
const TWO_63 = 2 ** 63;
const TWO_64 = 2 ** 64;

/**
 * decodeGeohash: a score read as a uint64 as x86-64 code converts a double (truncation; a
 * negative wraps around, 2^64 and beyond give 0), decoded at step 26: [longitude, latitude].
 */
export function decodeScore(score: number): [number, number] {
  let value = Number.isNaN(score) ? TWO_63 : Math.trunc(score);
  if (value >= TWO_64) value = 0;
  else if (value < 0) {
    if (value <= -TWO_63) value = TWO_63;
    else {
      const wrapped = (1n << 64n) + BigInt(value);
      const high = Number(wrapped >> 32n);
      const low = Number(wrapped & 0xffffffffn);
      return areaCentre(decodeHalves(LONG_RANGE, LAT_RANGE, high, low, GEO_STEP_MAX));
    }
  }
  const high = Math.floor(value / TWO_32);
  const low = value - high * TWO_32;
  return areaCentre(decodeHalves(LONG_RANGE, LAT_RANGE, high, low, GEO_STEP_MAX));
}

const GEO_ALPHABET = '0123456789bcdefghjkmnpqrstuvwxyz';

/** GEOHASH's 11 characters: the position re-encoded over the standard -90..90 latitudes. */
export function standardGeohash(score: number): string {
  const [longitude, latitude] = decodeScore(score);
  const hash = encode({ min: -180, max: 180 }, { min: -90, max: 90 }, longitude, latitude, 26);
  const bits = hash?.bits ?? 0n;
  let text = '';
  for (let i = 0; i < 11; i++) {
    const index = i === 10 ? 0 : Number((bits >> BigInt(52 - (i + 1) * 5)) & 0x1fn);
    text += GEO_ALPHABET[index];
  }
  return text;
}

const EVEN_BITS = 0x5555555555555555n;
const ODD_BITS = 0xaaaaaaaaaaaaaaaan;
const UINT64 = (1n << 64n) - 1n;

function moveX(hash: HashBits, direction: number): HashBits {
  if (direction === 0) return hash;
  let x = hash.bits & ODD_BITS;
  const y = hash.bits & EVEN_BITS;
  const shift = BigInt(64 - hash.step * 2);
  const zz = EVEN_BITS >> shift;
  if (direction > 0) x = (x + (zz + 1n)) & UINT64;
  else x = ((x | zz) - (zz + 1n)) & UINT64;
  x &= ODD_BITS >> shift;
  return { bits: x | y, step: hash.step };
}

function moveY(hash: HashBits, direction: number): HashBits {
  if (direction === 0) return hash;
  const x = hash.bits & ODD_BITS;
  let y = hash.bits & EVEN_BITS;
  const shift = BigInt(64 - hash.step * 2);
  const zz = ODD_BITS >> shift;
  if (direction > 0) y = (y + (zz + 1n)) & UINT64;
  else y = ((y | zz) - (zz + 1n)) & UINT64;
  y &= EVEN_BITS >> shift;
  return { bits: x | y, step: hash.step };
}

const NO_BOX: HashBits = { bits: 0n, step: 0 };

export function isNoBox(hash: HashBits): boolean {
  return hash.bits === 0n && hash.step === 0;
}

/** A search area: a circle (radius) or a box (width, height), in `conversion` units of meters. */
export interface GeoShape {
  longitude: number;
  latitude: number;
  circular: boolean;
  radius: number;
  width: number;
  height: number;
  /** Meters per unit. */
  conversion: number;
}

/** geohashEstimateStepsByRadius. */
export function estimateStepsByRadius(rangeMeters: number, latitude: number): number {
  if (rangeMeters === 0) return 26;
  let step = 1;
  while (rangeMeters < MERCATOR_MAX) {
    rangeMeters *= 2;
    step++;
  }
  step -= 2;
  if (latitude > 66 || latitude < -66) {
    step--;
    if (latitude > 80 || latitude < -80) step--;
  }
  if (step < 1) step = 1;
  if (step > 26) step = 26;
  return step;
}

/** geohashBoundingBox: [min longitude, min latitude, max longitude, max latitude]. */
function boundingBox(shape: GeoShape): [number, number, number, number] {
  const { longitude, latitude } = shape;
  const height = shape.conversion * (shape.circular ? shape.radius : shape.height / 2);
  const width = shape.conversion * (shape.circular ? shape.radius : shape.width / 2);
  const latDelta = radiansToDegrees(height / EARTH_RADIUS_IN_METERS);
  const longDeltaTop = radiansToDegrees(
    width / EARTH_RADIUS_IN_METERS / roundedCos(degreesToRadians(latitude + latDelta)),
  );
  const longDeltaBottom = radiansToDegrees(
    width / EARTH_RADIUS_IN_METERS / roundedCos(degreesToRadians(latitude - latDelta)),
  );
  const southern = latitude < 0;
  return [
    southern ? longitude - longDeltaBottom : longitude - longDeltaTop,
    latitude - latDelta,
    southern ? longitude + longDeltaBottom : longitude + longDeltaTop,
    latitude + latDelta,
  ];
}

interface Neighbours {
  north: HashBits;
  south: HashBits;
  east: HashBits;
  west: HashBits;
  northEast: HashBits;
  northWest: HashBits;
  southEast: HashBits;
  southWest: HashBits;
}

function neighboursOf(hash: HashBits): Neighbours {
  return {
    east: moveX(hash, 1),
    west: moveX(hash, -1),
    south: moveY(hash, -1),
    north: moveY(hash, 1),
    northWest: moveY(moveX(hash, -1), 1),
    northEast: moveY(moveX(hash, 1), 1),
    southEast: moveY(moveX(hash, 1), -1),
    southWest: moveY(moveX(hash, -1), -1),
  };
}

/**
 * geohashCalculateAreasByShapeWGS84 and membersOfAllNeighbors' order: the 9 boxes to scan,
 * centre first, then N, S, E, W, NE, NW, SE, SW; boxes the shape cannot reach are NO_BOX.
 */
export function searchBoxes(shape: GeoShape): HashBits[] {
  const [minLon, minLat, maxLon, maxLat] = boundingBox(shape);
  const { longitude, latitude } = shape;
  let radiusMeters = shape.circular
    ? shape.radius
    : Math.sqrt((shape.width / 2) * (shape.width / 2) + (shape.height / 2) * (shape.height / 2));
  radiusMeters *= shape.conversion;
  let steps = estimateStepsByRadius(radiusMeters, latitude);
  const centre = (step: number): HashBits =>
    encode(LONG_RANGE, LAT_RANGE, longitude, latitude, step) ?? { bits: 0n, step };
  let hash = centre(steps);
  let neighbours = neighboursOf(hash);
  let area = decodeArea(LONG_RANGE, LAT_RANGE, hash);
  const north = decodeArea(LONG_RANGE, LAT_RANGE, neighbours.north);
  const south = decodeArea(LONG_RANGE, LAT_RANGE, neighbours.south);
  const east = decodeArea(LONG_RANGE, LAT_RANGE, neighbours.east);
  const west = decodeArea(LONG_RANGE, LAT_RANGE, neighbours.west);
  const decreaseStep =
    north.latitudeMax < maxLat ||
    south.latitudeMin > minLat ||
    east.longitudeMax < maxLon ||
    west.longitudeMin > minLon;
  if (steps > 1 && decreaseStep) {
    steps--;
    hash = centre(steps);
    neighbours = neighboursOf(hash);
    area = decodeArea(LONG_RANGE, LAT_RANGE, hash);
  }
  const n = neighbours;
  if (steps >= 2) {
    if (area.latitudeMin < minLat) n.south = n.southWest = n.southEast = NO_BOX;
    if (area.latitudeMax > maxLat) n.north = n.northEast = n.northWest = NO_BOX;
    if (area.longitudeMin < minLon) n.west = n.southWest = n.northWest = NO_BOX;
    if (area.longitudeMax > maxLon) n.east = n.southEast = n.northEast = NO_BOX;
  }
  return [
    hash,
    n.north,
    n.south,
    n.east,
    n.west,
    n.northEast,
    n.northWest,
    n.southEast,
    n.southWest,
  ];
}

/** scoresOfGeoHashBox: the scores [min, max) of the members inside a box. */
export function boxScoreRange(hash: HashBits): [number, number] {
  const shift = BigInt(52 - hash.step * 2);
  const mask = UINT64;
  return [Number((hash.bits << shift) & mask), Number(((hash.bits + 1n) << shift) & mask)];
}

/** geohashGetLatDistance. */
function latitudeDistance(lat1: number, lat2: number): number {
  return EARTH_RADIUS_IN_METERS * Math.abs(degreesToRadians(lat2) - degreesToRadians(lat1));
}

/** geohashGetDistance: Haversine, in meters. */
export function distance(lon1: number, lat1: number, lon2: number, lat2: number): number {
  const lon1r = degreesToRadians(lon1);
  const lon2r = degreesToRadians(lon2);
  const v = roundedSin((lon2r - lon1r) / 2);
  if (v === 0) return latitudeDistance(lat1, lat2);
  const lat1r = degreesToRadians(lat1);
  const lat2r = degreesToRadians(lat2);
  const u = roundedSin((lat2r - lat1r) / 2);
  const a = u * u + roundedCos(lat1r) * roundedCos(lat2r) * v * v;
  return 2.0 * EARTH_RADIUS_IN_METERS * roundedAsin(Math.sqrt(a));
}

/**
 * The distance of a point from the shape's centre when the point is inside the shape
 * (geohashGetDistanceIfInRadiusWGS84 / geohashGetDistanceIfInRectangle), else undefined.
 */
export function distanceIfInside(
  shape: GeoShape,
  longitude: number,
  latitude: number,
): number | undefined {
  if (shape.circular) {
    const meters = distance(shape.longitude, shape.latitude, longitude, latitude);
    return meters > shape.radius * shape.conversion ? undefined : meters;
  }
  const widthMeters = shape.width * shape.conversion;
  const heightMeters = shape.height * shape.conversion;
  if (latitudeDistance(latitude, shape.latitude) > heightMeters / 2) return undefined;
  if (distance(longitude, latitude, shape.longitude, latitude) > widthMeters / 2) return undefined;
  return distance(shape.longitude, shape.latitude, longitude, latitude);
}
