/**
 * Archive credentials outside argv: a header file and BODY_REGION_AUTH_HEADER for the CLI and
 * `npm start`, the viewer's access token from a file or the environment, and archive URLs in logs
 * without their user and password.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { archiveHeaders } from '../../extension/src/cli/headers';
import { accessToken, parseArgs, urlForLog } from '../../extension/src/node/start';

let dir: string;
beforeAll(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'credentials-'))));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('archive headers', () => {
  it('come from a file (comments and blank lines ignored), the environment and --header, later ones winning', () => {
    const file = path.join(dir, 'headers');
    fs.writeFileSync(file, '# the archive\nAuthorization: Bearer from-file\n\nX-Site: a\n');
    expect(archiveHeaders({ headerFile: file, env: {} })).toEqual({ Authorization: 'Bearer from-file', 'X-Site': 'a' });
    expect(archiveHeaders({ env: { BODY_REGION_HEADER_FILE: file } })).toEqual({ Authorization: 'Bearer from-file', 'X-Site': 'a' });
    expect(archiveHeaders({ headerFile: file, env: { BODY_REGION_AUTH_HEADER: 'Authorization: Bearer from-env' } })).toEqual({
      Authorization: 'Bearer from-env',
      'X-Site': 'a',
    });
    expect(archiveHeaders({ header: ['X-Site: b'], headerFile: file, env: {} })).toEqual({
      Authorization: 'Bearer from-file',
      'X-Site': 'b',
    });
    expect(archiveHeaders({ env: {} })).toEqual({});
  });

  it('never echo a value in their errors', () => {
    const file = path.join(dir, 'bad');
    fs.writeFileSync(file, 'Bearer TOP-SECRET-VALUE\n');
    expect(() => archiveHeaders({ headerFile: file, env: {} })).toThrow(/header file .*bad expects 'Name: value'/);
    expect(() => archiveHeaders({ headerFile: file, env: {} })).not.toThrow(/TOP-SECRET/);
    expect(() => archiveHeaders({ env: { BODY_REGION_AUTH_HEADER: 'TOP-SECRET' } })).toThrow(/BODY_REGION_AUTH_HEADER expects/);
    expect(() => archiveHeaders({ headerFile: path.join(dir, 'missing'), env: {} })).toThrow(/cannot read the header file .*ENOENT/);
  });
});

describe('npm start', () => {
  it('takes the header file, the host and the access token file from options or the environment', () => {
    expect(parseArgs(['--header-file', '/run/h', '--host', '0.0.0.0', '--access-token-file', '/run/t'], {})).toMatchObject({
      headerFile: '/run/h',
      host: '0.0.0.0',
      accessTokenFile: '/run/t',
    });
    expect(parseArgs([], { BODY_REGION_HOST: '10.0.0.1', BODY_REGION_ACCESS_TOKEN_FILE: '/run/t' })).toMatchObject({
      host: '10.0.0.1',
      accessTokenFile: '/run/t',
    });
  });

  it('reads the access token from its file or the environment, and refuses a short one', () => {
    const file = path.join(dir, 'token');
    fs.writeFileSync(file, 'file-token-0123456789\n');
    expect(accessToken(parseArgs(['--access-token-file', file], {}), {})).toBe('file-token-0123456789');
    expect(accessToken(parseArgs([], {}), { BODY_REGION_ACCESS_TOKEN: 'env-token-0123456789' })).toBe('env-token-0123456789');
    expect(accessToken(parseArgs([], {}), {})).toBeUndefined();
    expect(() => accessToken(parseArgs([], {}), { BODY_REGION_ACCESS_TOKEN: 'short' })).toThrow(/at least 16/);
  });

  it('logs archive URLs without user and password', () => {
    expect(urlForLog('https://user:pa55@pacs.example/dicom-web')).toBe('https://pacs.example/dicom-web');
    expect(urlForLog('not a url')).toBe('(not a URL)');
  });
});
