// How the nginx router finds nginx's master and workers without `ps` or a pid
// file: /proc read by PROC_SCRIPT (shell builtins), its output parsed, the
// master picked by router-args.
import { afterAll, describe, expect, test } from '@jest/globals'
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { PROC_SCRIPT, findMasters, parseProcTable } from '@gantry/traffic'

const TABLE = [
  'S 4100 (nginx) S 1 4100 4100 0 -1 4194560 1191 0 0 0 3 1 0 0 20 0 1 0 5001 11227136 1414',
  'C 4100 nginx: master process /usr/sbin/nginx -p /srv/a -c /srv/a/nginx.conf',
  'S 4101 (nginx) S 4100 4100 4100 0 -1 4194624 305 0 0 0 0 0 0 0 20 0 1 0 5002 11800576 1030',
  'C 4101 nginx: worker process is shutting down',
  'S 4102 (nginx) S 4100 4100 4100 0 -1 4194624 305 0 0 0 0 0 0 0 20 0 1 0 5003 11800576 1030',
  'C 4102 nginx: worker process',
  // A second master, of another configuration.
  'S 5200 (nginx) S 1 5200 5200 0 -1 4194560 1191 0 0 0 3 1 0 0 20 0 1 0 6001 11227136 1414',
  'C 5200 nginx: master process /usr/sbin/nginx -p /srv/b -c /srv/b/nginx.conf',
  // Ended between its two lines: no C line, left out.
  'S 5300 (nginx) S 5200 5200 5200 0 -1 4194624 305 0 0 0 0 0 0 0 20 0 1 0 6002 11800576 1030',
  ''
].join('\n')

describe('nginx processes from /proc', () => {
  test('the stat and cmdline lines: pid, ppid, title', () => {
    expect(parseProcTable(TABLE)).toEqual([
      { pid: 4100, ppid: 1, title: 'nginx: master process /usr/sbin/nginx -p /srv/a -c /srv/a/nginx.conf' },
      { pid: 4101, ppid: 4100, title: 'nginx: worker process is shutting down' },
      { pid: 4102, ppid: 4100, title: 'nginx: worker process' },
      { pid: 5200, ppid: 1, title: 'nginx: master process /usr/sbin/nginx -p /srv/b -c /srv/b/nginx.conf' }
    ])
    // A name with spaces and parentheses: the fields are read after the last ')'.
    expect(parseProcTable('S 77 (a) (b) c) S 9 77 77 0\nC 77 x\n')).toEqual([{ pid: 77, ppid: 9, title: 'x' }])
    expect(parseProcTable('')).toEqual([])
  })

  test('the master is the one whose command line holds router-args; any master when there are none', () => {
    const procs = parseProcTable(TABLE)
    expect(findMasters(procs, ['-p', '/srv/a', '-c', '/srv/a/nginx.conf']).map((p) => p.pid)).toEqual([4100])
    expect(findMasters(procs, ['-c', '/srv/b/nginx.conf']).map((p) => p.pid)).toEqual([5200])
    // The words in that order, whole: '-p /srv' is not '-p /srv/a'.
    expect(findMasters(procs, ['-p', '/srv'])).toEqual([])
    expect(findMasters(procs, ['-c', '/srv/a/nginx.conf', '-p', '/srv/a'])).toEqual([])
    expect(findMasters(procs, []).map((p) => p.pid)).toEqual([4100, 5200])
  })

  describe('PROC_SCRIPT on this machine’s /proc', () => {
    const dir = mkdtempSync(join(tmpdir(), 'gantry-proc-'))
    const children: ChildProcess[] = []
    afterAll(() => {
      for (const c of children) c.kill('SIGKILL')
      rmSync(dir, { recursive: true, force: true })
    })

    test('finds a process named nginx, titled as a master, child of this one; no ps needed', async () => {
      // sleep copied as `nginx` (its name in /proc/<pid>/stat), argv[0] set as nginx titles its master.
      const bin = join(dir, 'nginx')
      copyFileSync('/bin/sleep', bin)
      const prefix = join(dir, 'prefix')
      const child = spawn(bin, ['30'], { argv0: `nginx: master process ${bin} -p ${prefix}`, stdio: 'ignore' })
      children.push(child)
      await new Promise<void>((r, j) => child.once('spawn', r).once('error', j))
      // The exec has happened once /proc names the new image (a moment after 'spawn').
      const seen = () => {
        const r = spawnSync('sh', ['-c', PROC_SCRIPT], { encoding: 'utf8', env: { PATH: '/usr/bin:/bin' } })
        expect(r.status).toBe(0)
        return parseProcTable(r.stdout)
      }
      const deadline = Date.now() + 10_000
      let procs = seen()
      while (!procs.some((p) => p.pid === child.pid) && Date.now() < deadline) procs = seen()
      expect(procs.find((p) => p.pid === child.pid)).toEqual({
        pid: child.pid,
        ppid: process.pid,
        title: `nginx: master process ${bin} -p ${prefix} 30`
      })
      expect(findMasters(procs, ['-p', prefix]).map((p) => p.pid)).toEqual([child.pid])
    })
  })
})
