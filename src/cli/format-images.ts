// `podrun image ls` as podman prints `podman images`: REPOSITORY TAG IMAGE ID CREATED SIZE,
// with docker/go-units' wording for times (`2 weeks ago`) and decimal sizes (`5.87 MB`).

import type { ImageRecord } from '../image/types';
import { PODMAN_TABLE, renderTable } from './table';

/** go-units HumanDuration: `Less than a second`, `About a minute`, `3 hours`, `2 weeks`. */
export function unitsHumanDuration(ms: number): string {
  const seconds = Math.trunc(ms / 1000);
  if (seconds < 1) return 'Less than a second';
  if (seconds === 1) return '1 second';
  if (seconds < 60) return `${seconds} seconds`;
  const minutes = Math.trunc(ms / 60_000);
  if (minutes === 1) return 'About a minute';
  if (minutes < 60) return `${minutes} minutes`;
  const hours = Math.round(ms / 3_600_000);
  if (hours === 1) return 'About an hour';
  if (hours < 48) return `${hours} hours`;
  if (hours < 24 * 7 * 2) return `${Math.trunc(hours / 24)} days`;
  if (hours < 24 * 30 * 2) return `${Math.trunc(hours / 24 / 7)} weeks`;
  if (hours < 24 * 365 * 2) return `${Math.trunc(hours / 24 / 30)} months`;
  return `${Math.trunc(Math.trunc(ms / 3_600_000) / 24 / 365)} years`;
}

const SI_UNITS = ['B', 'kB', 'MB', 'GB', 'TB', 'PB', 'EB', 'ZB', 'YB'];

/** go-units HumanSizeWithPrecision(size, 3): three significant digits, powers of 1000. */
export function humanSize(bytes: number): string {
  let size = bytes;
  let i = 0;
  while (size >= 1000 && i < SI_UNITS.length - 1) {
    size /= 1000;
    i++;
  }
  // %.3g: three significant digits, trailing zeros dropped.
  return `${Number(size.toPrecision(3))} ${SI_UNITS[i]}`;
}

/** The first 12 hex digits of an id, as podman shows it. */
export function shortId(id: string): string {
  return id.replace(/^sha256:/, '').slice(0, 12);
}

export function imageTable(images: ImageRecord[], now: number): string {
  const rows = images.map((im) => [
    im.name,
    im.tag,
    shortId(im.id),
    `${unitsHumanDuration(now - Date.parse(im.created))} ago`,
    humanSize(im.size),
  ]);
  return renderTable([['REPOSITORY', 'TAG', 'IMAGE ID', 'CREATED', 'SIZE'], ...rows], PODMAN_TABLE);
}
