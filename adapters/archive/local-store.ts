/**
 * The archive on the local disk: a folder per package under the archive root (by default
 * `archive/` under the data folder). Each part is written to a temporary file, fsynced, renamed into
 * place, and the folder fsynced, so a crash leaves a part whole or absent, never half written.
 */
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { safeSegment, type ArchivePart, type ArchiveStore } from './store';

export class LocalArchiveStore implements ArchiveStore {
  readonly description: string;
  constructor(readonly root: string) {
    this.description = `本地磁盘 ${root}`;
  }

  private dirOf(key: string): string {
    if (!safeSegment(key)) throw new Error(`archive key "${key}" refused`);
    return path.join(this.root, key);
  }

  async put(key: string, parts: ArchivePart[]): Promise<void> {
    const dir = this.dirOf(key);
    await fs.mkdir(dir, { recursive: true });
    for (const p of parts) {
      if (!safeSegment(p.name) || p.name.includes('/')) throw new Error(`archive part "${p.name}" refused`);
      const tmp = path.join(dir, `.${p.name}.tmp-${process.pid}`);
      const fh = await fs.open(tmp, 'w', 0o640);
      try {
        await fh.writeFile(p.data);
        await fh.sync();
      } finally {
        await fh.close();
      }
      await fs.rename(tmp, path.join(dir, p.name));
    }
    await syncDir(dir);
  }

  async get(key: string, name: string): Promise<Buffer | undefined> {
    if (!safeSegment(name) || name.includes('/')) return undefined;
    try {
      return await fs.readFile(path.join(this.dirOf(key), name));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw e;
    }
  }

  async list(key: string): Promise<string[]> {
    try {
      return (await fs.readdir(this.dirOf(key), { withFileTypes: true })).filter((d) => d.isFile() && !d.name.startsWith('.')).map((d) => d.name).sort();
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw e;
    }
  }

  async remove(key: string): Promise<void> {
    const dir = this.dirOf(key);
    await fs.rm(dir, { recursive: true, force: true });
    await syncDir(path.dirname(dir)).catch(() => undefined);
  }
}

async function syncDir(dir: string): Promise<void> {
  const fh = await fs.open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}
