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
  // The queue suites' ioredis clients keep reconnecting for minutes after their throwaway
  // redis-server is stopped, which kept jest from exiting (every test had passed). Exit when done.
  forceExit: true,
  reporters: ['default', '<rootDir>/test/helpers/summaryReporter.js'],
};
