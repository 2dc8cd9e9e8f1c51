import { mkdir, readdir, readFile, rename, writeFile } from "node:fs/promises";
import path from "node:path";

export type JobState = "running" | "exited" | "killed" | "interrupted";

/** What is persisted per job in `<workspace>/.agent/jobs/<id>/job.json`; never the job's env. */
export interface JobRecord {
  id: string;
  command: string;
  cwd: string;
  state: JobState;
  pid: number | null;
  /** Kernel start time of `pid`, so a recycled pid is not mistaken for the job after a restart. */
  pid_start_ticks: string | null;
  started_at: string;
  ended_at: string | null;
  exit_code: number | null;
  signal: string | null;
}

export const JOB_ID_PATTERN = /^[a-z0-9]+-[a-f0-9]+$/;

/** The on-disk layout of jobs, shared by the live manager and recovery after a restart. */
export class JobJournal {
  readonly root: string;

  constructor(workspaceDir: string) {
    this.root = path.join(workspaceDir, ".agent", "jobs");
  }

  directory(id: string): string {
    return path.join(this.root, id);
  }

  outputPath(id: string): string {
    return path.join(this.directory(id), "output.log");
  }

  /** Written by the job's wrapper shell when the command ends, even if the server is gone. */
  exitCodePath(id: string): string {
    return path.join(this.directory(id), "exit_code");
  }

  async create(id: string): Promise<void> {
    await mkdir(this.directory(id), { recursive: true });
  }

  async save(record: JobRecord): Promise<void> {
    const target = path.join(this.directory(record.id), "job.json");
    const temporary = `${target}.${process.pid}.tmp`;
    await writeFile(temporary, JSON.stringify(record, null, 2) + "\n");
    await rename(temporary, target);
  }

  async loadAll(): Promise<JobRecord[]> {
    let names: string[];
    try {
      names = await readdir(this.root);
    } catch {
      return [];
    }
    const records: JobRecord[] = [];
    for (const name of names.filter((entry) => JOB_ID_PATTERN.test(entry))) {
      try {
        records.push(JSON.parse(await readFile(path.join(this.root, name, "job.json"), "utf8")) as JobRecord);
      } catch {
        // A job whose journal was never completed (crash between mkdir and save) has nothing to show.
      }
    }
    return records.sort((a, b) => a.started_at.localeCompare(b.started_at));
  }

  async readExitCode(id: string): Promise<number | null> {
    try {
      const value = Number((await readFile(this.exitCodePath(id), "utf8")).trim());
      return Number.isInteger(value) ? value : null;
    } catch {
      return null;
    }
  }
}
