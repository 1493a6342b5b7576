/** What the command-line tools share: usage errors, reading the files they are given, and exit codes. */
import { readFile } from 'node:fs/promises';

/** A mistake in the command line or in a file it names: reported with the usage text, exit code 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export async function readText(path: string, what: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch {
    throw new UsageError(`cannot read ${what} ${path}`);
  }
}

export async function readJson(path: string, what: string): Promise<Record<string, unknown>> {
  const text = await readText(path, `${what} file`);
  try {
    return JSON.parse(text) as Record<string, unknown>;
  } catch {
    throw new UsageError(`${what} file ${path} is not valid JSON`);
  }
}

/**
 * Runs a command's main function: its result is the exit code; a usage error prints the message and the usage,
 * any other error its name and message only (never a stack that could carry request data), both with exit code 2.
 */
export function runCommand(main: () => Promise<number>, usage: string): void {
  main().then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      if (error instanceof UsageError) process.stderr.write(`${error.message}\n\n${usage}`);
      else process.stderr.write(`${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}\n`);
      process.exitCode = 2;
    },
  );
}
