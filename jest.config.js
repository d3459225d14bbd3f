// Three projects: unit and e2e make `npm test` (Node only); system needs the
// Debian packages nginx, openssh-server, rsync, haproxy, socat and prometheus (`npm run test:system`).
const shared = {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  moduleFileExtensions: ['ts', 'js', 'mjs', 'json'],
  moduleNameMapper: {
    '^@gantry/probe/smoke$': '<rootDir>/packages/probe/src/smoke/index.ts',
    '^@gantry/([^/]+)$': '<rootDir>/packages/$1/src/index.ts',
    '^(\\.{1,2}/.*)\\.js$': '$1'
  },
  transform: { '^.+\\.ts$': ['ts-jest', { useESM: true }] }
}

export default {
  projects: [
    { ...shared, displayName: 'unit', testMatch: ['<rootDir>/test/unit/**/*.test.ts'] },
    { ...shared, displayName: 'e2e', testMatch: ['<rootDir>/test/e2e/**/*.test.ts'] },
    { ...shared, displayName: 'system', testMatch: ['<rootDir>/test/system/**/*.test.ts'] }
  ]
}
