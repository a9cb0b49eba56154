// Whether a process id names a live process (a lock file's owner): signal 0 probes without
// delivering; EPERM means it exists but belongs to someone else.
export function pidAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
