import fs from 'node:fs';

/**
 * Resident memory of a process tree, read from /proc (Linux only; elsewhere every reading is null): a sampler for
 * the benchmarks (bench/lives.ts measures the workers and their reader processes, another bench the API). Shared
 * here: bench/ and test/ never import each other.
 */

export interface ProcessMemory {
  pid: number;
  /** VmRSS: resident now. */
  rssBytes: number;
  /** VmHWM: the process's own peak resident memory since it started (the kernel's high-water mark). */
  hwmBytes: number;
}

/** VmRSS and VmHWM of one process; null once it is gone (or without /proc). */
export function processMemory(pid: number): ProcessMemory | null {
  let status: string;
  try {
    status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return null;
  }
  const kib = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0) * 1024;
  return { pid, rssBytes: kib('VmRSS'), hwmBytes: kib('VmHWM') };
}

/** The parent of each live process (/proc/<pid>/stat, field 4, counted after the command name's parenthesis). */
function parents(): Map<number, number[]> {
  const children = new Map<number, number[]>();
  let names: string[];
  try {
    names = fs.readdirSync('/proc');
  } catch {
    return children;
  }
  for (const name of names) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${name}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      const list = children.get(ppid) ?? [];
      list.push(Number(name));
      children.set(ppid, list);
    } catch {
      // gone meanwhile
    }
  }
  return children;
}

/** `root` and all its descendants alive now. */
export function processTree(root: number): number[] {
  const children = parents();
  const tree: number[] = [];
  const stack = [root];
  while (stack.length > 0) {
    const pid = stack.pop() as number;
    tree.push(pid);
    stack.push(...(children.get(pid) ?? []));
  }
  return tree;
}

export interface TreeMemory {
  /** Highest sum of VmRSS over the tree at one sample: what the tree held at once. */
  peakTreeRssBytes: number;
  /** Per process ever seen: its own VmHWM (peak) at its last sample, and its command name. */
  processes: { pid: number; name: string; hwmBytes: number }[];
  /** Highest VmHWM of the root process alone. */
  rootHwmBytes: number;
  samples: number;
}

export interface RssSampler {
  /** The reading so far (the sampler keeps running). */
  read(): TreeMemory;
  /** Takes one last sample, stops, and returns the reading. */
  stop(): TreeMemory;
}

function commandName(pid: number): string {
  try {
    return fs.readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return '?';
  }
}

/**
 * Samples the tree of `root` every `intervalMs` (default 200): VmRSS summed over the tree, and each process's VmHWM
 * (which also catches a peak between two samples). `exclude` leaves out subtrees (e.g. a dev server started by the
 * process measured, whose memory is not the process's).
 */
export function sampleTreeRss(
  root: number,
  options: { intervalMs?: number; exclude?: () => number[] } = {},
): RssSampler {
  let peakTree = 0;
  let samples = 0;
  const seen = new Map<number, { name: string; hwmBytes: number }>();
  const sample = () => {
    const excluded = new Set<number>();
    for (const pid of options.exclude?.() ?? []) for (const p of processTree(pid)) excluded.add(p);
    let total = 0;
    for (const pid of processTree(root)) {
      if (excluded.has(pid)) continue;
      const memory = processMemory(pid);
      if (!memory) continue;
      total += memory.rssBytes;
      const known = seen.get(pid);
      if (known) known.hwmBytes = Math.max(known.hwmBytes, memory.hwmBytes);
      else seen.set(pid, { name: commandName(pid), hwmBytes: memory.hwmBytes });
    }
    peakTree = Math.max(peakTree, total);
    samples += 1;
  };
  sample();
  const timer = setInterval(sample, options.intervalMs ?? 200);
  timer.unref();
  const read = (): TreeMemory => ({
    peakTreeRssBytes: peakTree,
    processes: [...seen].map(([pid, p]) => ({ pid, ...p })),
    rootHwmBytes: seen.get(root)?.hwmBytes ?? 0,
    samples,
  });
  return {
    read,
    stop: () => {
      clearInterval(timer);
      sample();
      return read();
    },
  };
}

export const mib = (bytes: number): number => Math.round(bytes / 1048576);
