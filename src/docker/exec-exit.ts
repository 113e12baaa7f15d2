/**
 * The exit code of a finished `docker exec`.
 */
import type Dockerode from 'dockerode';

/** The stream can end a moment before the engine records the exit, so wait briefly for it. */
export async function exitCodeOf(exec: Dockerode.Exec): Promise<number> {
  for (let tries = 0; ; tries += 1) {
    const info = await exec.inspect();
    if (!info.Running || tries >= 100) return info.ExitCode ?? -1;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
