import * as path from 'node:path';

/** The repository root, from sources (common/) or compiled code (dist/common/). */
export const REPO_ROOT = path.resolve(__dirname, '..', __dirname.includes(`${path.sep}dist${path.sep}`) ? '..' : '');
