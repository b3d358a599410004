/** One jest run covers unit, integration (real Orthanc) and end-to-end (real Chromium) tests. */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts', '**/*.test.tsx'],
  // The mode imports the extension package's "./ids" export (extension/package.json).
  moduleNameMapper: { '^@ohif-body-region/extension/ids$': '<rootDir>/extension/src/ohif/ids.ts' },
  transform: {
    '^.+\\.tsx?$': ['ts-jest', { tsconfig: 'tsconfig.json', diagnostics: { warnOnly: false } }],
  },
  // Integration and e2e suites start real servers; give them room on a 2-core machine.
  testTimeout: 120000,
  maxWorkers: 1,
  // The suites exit on their own (the queue suites' minutes-long hang was an uncleared 150 s race
  // timer, fixed in test/helpers/queueRun.ts `within`). forceExit stays as a safety net so that a
  // future leaked timer or socket cannot hold CI until its time limit.
  forceExit: true,
  reporters: ['default', '<rootDir>/test/helpers/summaryReporter.js'],
};
