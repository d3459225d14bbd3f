#!/usr/bin/env node
// The local end-to-end demo (DESIGN.md, "The local demo") lands with issue 7,
// once every action it chains is implemented. Until then, say so honestly.
console.error('npm run demo: the end-to-end demo is not implemented yet (it needs every action; see README "Status")')
process.exit(1)
