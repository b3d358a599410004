import { main } from '../../extension/src/cli/main';

/** Runs the CLI's main() in this process with stderr captured (what the user would read). */
export async function runCli(argv: string[]): Promise<{ code: number; stderr: string }> {
  const chunks: string[] = [];
  const spy = jest.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    chunks.push(String(chunk));
    return true;
  });
  try {
    return { code: await main(argv), stderr: chunks.join('') };
  } finally {
    spy.mockRestore();
  }
}
