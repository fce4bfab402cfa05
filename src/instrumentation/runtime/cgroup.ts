/**
 * The CPU quota and memory limit the process actually runs under, read from its cgroup.
 *
 * A container usually sees every host core in `os.availableParallelism()` and all host memory in
 * `os.totalmem()`, while the kernel throttles it to its cgroup's CFS quota and OOM-kills it at its
 * cgroup's memory limit. Utilisation is only meaningful against those limits.
 *
 * Reading happens once, when a runtime source is created, with synchronous reads: the files are a
 * few bytes on a pseudo-filesystem (no disk I/O), creation is not on a request path, and a sync
 * read keeps the source's constructor synchronous. Limits are not re-read: changing them on a
 * running container is rare, and re-reading on every collect would put file I/O in the loop.
 *
 * Never throws: a missing or unreadable file means "no limit" (non-Linux systems have none of
 * these files).
 */
import { existsSync, readFileSync } from 'node:fs';
import { posix as path } from 'node:path';

export interface CgroupOptions {
  /**
   * Filesystem root under which `/proc/self/cgroup` and `/sys/fs/cgroup` are read.
   * Default `'/'`; tests point it at a fake tree in a temp directory.
   */
  fsRoot?: string;
}

export interface CgroupLimits {
  /** CPUs the CFS quota allows (quota / period, e.g. 1.5); undefined when no quota is set. */
  readonly cpuQuota: number | undefined;
  /** Memory limit in bytes; undefined when no limit is set. */
  readonly memoryLimit: number | undefined;
}

/** One line of /proc/self/cgroup: `hierarchy-id:controller-list:path`. */
interface CgroupEntry {
  readonly controllers: readonly string[];
  readonly path: string;
}

/**
 * cgroup v1 reports "no memory limit" as a huge number (PAGE_COUNTER_MAX × page size,
 * 9223372036854771712 on x86_64) rather than a word. No machine has 2^60 bytes (1 EiB) of memory,
 * so anything at or above it is "unlimited".
 */
const V1_UNLIMITED_MEMORY = 2 ** 60;

const CGROUP_MOUNT = '/sys/fs/cgroup';

export function readCgroupLimits(options: CgroupOptions = {}): CgroupLimits {
  const fsRoot = options.fsRoot ?? '/';
  try {
    const entries = parseProcSelfCgroup(readText(path.join(fsRoot, '/proc/self/cgroup')));
    return {
      cpuQuota: readCpuQuota(fsRoot, entries),
      memoryLimit: readMemoryLimit(fsRoot, entries),
    };
  } catch {
    // Defensive only: every read below already maps failure to undefined.
    return { cpuQuota: undefined, memoryLimit: undefined };
  }
}

function readCpuQuota(fsRoot: string, entries: readonly CgroupEntry[]): number | undefined {
  // A v1 line naming the controller wins: on hybrid hosts (v1 controllers plus an empty v2
  // hierarchy at /sys/fs/cgroup/unified) the limits live in the v1 hierarchy.
  const v1 = entries.find((e) => e.controllers.includes('cpu'));
  if (v1) {
    return minOverAncestors(v1MountDir(fsRoot, v1, 'cpu'), v1.path, (dir) => {
      const quota = readNumber(path.join(dir, 'cpu.cfs_quota_us'));
      const period = readNumber(path.join(dir, 'cpu.cfs_period_us'));
      // A quota of -1 means unlimited.
      return quota !== undefined && period !== undefined && quota > 0 && period > 0
        ? quota / period
        : undefined;
    });
  }
  const v2 = entries.find(isUnifiedEntry);
  if (v2) {
    return minOverAncestors(path.join(fsRoot, CGROUP_MOUNT), v2.path, (dir) =>
      parseCpuMax(readText(path.join(dir, 'cpu.max'))),
    );
  }
  return undefined;
}

function readMemoryLimit(fsRoot: string, entries: readonly CgroupEntry[]): number | undefined {
  const v1 = entries.find((e) => e.controllers.includes('memory'));
  if (v1) {
    return minOverAncestors(v1MountDir(fsRoot, v1, 'memory'), v1.path, (dir) => {
      const limit = readNumber(path.join(dir, 'memory.limit_in_bytes'));
      return limit !== undefined && limit > 0 && limit < V1_UNLIMITED_MEMORY ? limit : undefined;
    });
  }
  const v2 = entries.find(isUnifiedEntry);
  if (v2) {
    return minOverAncestors(path.join(fsRoot, CGROUP_MOUNT), v2.path, (dir) => {
      const text = readText(path.join(dir, 'memory.max'))?.trim();
      if (text === undefined || text === 'max') return undefined;
      const limit = Number(text);
      return Number.isFinite(limit) && limit > 0 ? limit : undefined;
    });
  }
  return undefined;
}

/** `cpu.max` is `"$MAX $PERIOD"`, where `$MAX` is `max` when no quota is set. */
function parseCpuMax(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const [max, period] = text.trim().split(/\s+/);
  if (max === undefined || max === 'max') return undefined;
  const quota = Number(max);
  const periodUs = Number(period ?? 100000); // the kernel's default period when only $MAX is given
  return Number.isFinite(quota) && quota > 0 && Number.isFinite(periodUs) && periodUs > 0
    ? quota / periodUs
    : undefined;
}

/**
 * Parses /proc/self/cgroup. v2 has the single line `0::/path`; v1 has one line per hierarchy,
 * e.g. `4:memory:/docker/abc` or `2:cpu,cpuacct:/docker/abc`.
 */
function parseProcSelfCgroup(text: string | undefined): CgroupEntry[] {
  if (text === undefined) return [];
  const entries: CgroupEntry[] = [];
  for (const line of text.split('\n')) {
    const first = line.indexOf(':');
    const second = line.indexOf(':', first + 1);
    if (first < 0 || second < 0) continue;
    const list = line.slice(first + 1, second);
    entries.push({
      controllers: list === '' ? [] : list.split(','),
      path: line.slice(second + 1).trim() || '/',
    });
  }
  return entries;
}

function isUnifiedEntry(entry: CgroupEntry): boolean {
  return entry.controllers.length === 0;
}

/**
 * Where a v1 controller's hierarchy is mounted. By convention the mount point is named after the
 * hierarchy's controller list (`cpu,cpuacct`), usually with a symlink per controller (`cpu`).
 */
function v1MountDir(fsRoot: string, entry: CgroupEntry, controller: string): string {
  const candidates = [entry.controllers.join(','), controller];
  for (const name of candidates) {
    const dir = path.join(fsRoot, CGROUP_MOUNT, name);
    if (existsSync(dir)) return dir;
  }
  return path.join(fsRoot, CGROUP_MOUNT, controller);
}

/**
 * The most restrictive limit on the way from the process's cgroup up to the root of the mount.
 *
 * The effective limit is the smallest one set on any ancestor (a systemd slice or a Kubernetes
 * pod can carry it rather than the leaf). Walking up also covers the container case without a
 * cgroup namespace: /proc/self/cgroup then shows the host's path (`/docker/<id>`), which does not
 * exist inside the container, whose own cgroup is mounted at the root of the mount.
 */
function minOverAncestors(
  mountDir: string,
  cgroupPath: string,
  limitIn: (dir: string) => number | undefined,
): number | undefined {
  // With a cgroup namespace, a process outside the namespace's root sees paths like `/../x`;
  // only the root of the mount is then known to be ours.
  let relative = path.normalize(path.join('/', cgroupPath));
  if (cgroupPath.startsWith('/..')) relative = '/';
  let min: number | undefined;
  for (;;) {
    const limit = limitIn(path.join(mountDir, relative));
    if (limit !== undefined && (min === undefined || limit < min)) min = limit;
    if (relative === '/') return min;
    relative = path.dirname(relative);
  }
}

function readText(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

function readNumber(file: string): number | undefined {
  const text = readText(file)?.trim();
  if (text === undefined || text === '') return undefined;
  const value = Number(text);
  return Number.isFinite(value) ? value : undefined;
}
