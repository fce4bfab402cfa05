/** The machine a benchmark ran on, for its report (shared by bench/http-overhead.ts and bench/reliability/). */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import os from 'node:os';

export interface Machine {
  node: string;
  os: string;
  cpuModel: string;
  cores: number;
  availableParallelism: number;
  cgroupCpuMax: string | undefined;
  totalMemGiB: number;
  loadAvgStart: number[];
  /** Filled in by the caller when the run ends (`os.loadavg()`). */
  loadAvgEnd: number[];
  commit: string;
  startedAt: string;
}

/** `repoRoot`: the git checkout whose commit is reported. */
export function describeMachine(repoRoot: string): Machine {
  let commit = 'unknown';
  try {
    commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: repoRoot, encoding: 'utf8' }).trim();
    // A benchmark's own earlier output (RESULTS*) is not code: only changed code makes the commit misleading.
    const dirty = execFileSync('git', ['status', '--porcelain', '--', 'src', 'bench', 'support', ':(exclude,glob)**/RESULTS*'], { cwd: repoRoot, encoding: 'utf8' }).trim();
    if (dirty) commit += ' (with uncommitted changes in src/, bench/ or support/)';
  } catch {
    // not a git checkout
  }
  let cgroupCpuMax: string | undefined;
  if (existsSync('/sys/fs/cgroup/cpu.max')) cgroupCpuMax = readFileSync('/sys/fs/cgroup/cpu.max', 'utf8').trim();
  const cpus = os.cpus();
  return {
    node: process.version,
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    cpuModel: cpus[0]?.model ?? 'unknown',
    cores: cpus.length,
    availableParallelism: os.availableParallelism(),
    cgroupCpuMax,
    totalMemGiB: os.totalmem() / 2 ** 30,
    loadAvgStart: os.loadavg(),
    loadAvgEnd: [],
    commit,
    startedAt: new Date().toISOString(),
  };
}

const fmtLoad = (l: number[]): string => l.map((v) => v.toFixed(2)).join(' / ');

export function machineLines(m: Machine): string[] {
  return [
    `node ${m.node} on ${m.os}`,
    `CPU: ${m.cpuModel}, ${m.cores} cores (available parallelism ${m.availableParallelism})` +
      (m.cgroupCpuMax ? `, cgroup cpu.max "${m.cgroupCpuMax}"` : ''),
    `memory: ${m.totalMemGiB.toFixed(1)} GiB`,
    `load average (1/5/15 min): ${fmtLoad(m.loadAvgStart)} at start, ${fmtLoad(m.loadAvgEnd)} at end`,
    `commit: ${m.commit}; started ${m.startedAt}`,
  ];
}
