// Shared data for the geo tests: cities all over the world, and seeded random points.

/** [longitude, latitude, name] */
export const CITIES: [number, number, string][] = [
  [13.361389, 38.115556, 'Palermo'],
  [15.087269, 37.502669, 'Catania'],
  [12.496366, 41.902782, 'Rome'],
  [9.18854, 45.464664, 'Milan'],
  [2.352222, 48.856613, 'Paris'],
  [-0.127758, 51.507351, 'London'],
  [13.404954, 52.520008, 'Berlin'],
  [-3.70379, 40.416775, 'Madrid'],
  [-9.139337, 38.722252, 'Lisbon'],
  [18.068581, 59.329323, 'Stockholm'],
  [24.938379, 60.169856, 'Helsinki'],
  [37.617298, 55.755825, 'Moscow'],
  [28.97836, 41.008238, 'Istanbul'],
  [31.235712, 30.04442, 'Cairo'],
  [3.379206, 6.524379, 'Lagos'],
  [36.821946, -1.292066, 'Nairobi'],
  [18.424055, -33.924869, 'Cape Town'],
  [55.270783, 25.204849, 'Dubai'],
  [72.877656, 19.075984, 'Mumbai'],
  [77.209021, 28.613939, 'Delhi'],
  [100.501765, 13.756331, 'Bangkok'],
  [103.819836, 1.352083, 'Singapore'],
  [116.407396, 39.904211, 'Beijing'],
  [121.473701, 31.230416, 'Shanghai'],
  [139.691706, 35.689487, 'Tokyo'],
  [126.977969, 37.566535, 'Seoul'],
  [151.209296, -33.86882, 'Sydney'],
  [174.763336, -36.848461, 'Auckland'],
  [-157.858333, 21.306944, 'Honolulu'],
  [-149.900278, 61.218056, 'Anchorage'],
  [-122.419416, 37.774929, 'San Francisco'],
  [-118.243685, 34.052234, 'Los Angeles'],
  [-87.629798, 41.878114, 'Chicago'],
  [-74.005941, 40.712784, 'New York'],
  [-79.383184, 43.653226, 'Toronto'],
  [-99.133208, 19.432608, 'Mexico City'],
  [-77.042793, -12.046374, 'Lima'],
  [-46.633309, -23.55052, 'Sao Paulo'],
  [-58.381559, -34.603684, 'Buenos Aires'],
  [-70.669265, -33.44889, 'Santiago'],
  [-21.817439, 64.126521, 'Reykjavik'],
  [-68.3, -54.8, 'Ushuaia'],
  [179.9, -16.5, 'East of antimeridian'],
  [-179.9, -16.6, 'West of antimeridian'],
  [0, 0, 'Null Island'],
  [15.6, 78.2, 'Longyearbyen'],
  [-62.3, 82.5, 'Alert'],
];

export function geoaddCities(key = 'cities'): string[] {
  return ['GEOADD', key, ...CITIES.flatMap(([lon, lat, name]) => [String(lon), String(lat), name])];
}

/** `count` random points around (lon, lat) within `spread` degrees, as a GEOADD line. */
export function randomPoints(
  key: string,
  count: number,
  random: () => number,
  lon = 0,
  lat = 0,
  spread = 180,
): string[] {
  const line = ['GEOADD', key];
  for (let i = 0; i < count; i++) {
    const x = Math.max(-180, Math.min(180, lon + (random() * 2 - 1) * spread));
    const y = Math.max(-85, Math.min(85, lat + (random() * 2 - 1) * spread));
    line.push(x.toFixed(6), y.toFixed(6), `p${i}`);
  }
  return line;
}
