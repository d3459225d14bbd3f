import { describe, expect, it } from '@jest/globals'
import { SECRET_NAME, isSecretHeader } from '@gantry/core'

describe('secret-name rule (core, one list for every action)', () => {
  it.each(['token', 'API_KEY', 'session_id', 'password', 'pwd', 'credential', 'cookie', 'key', 'sig'])(
    'treats name %s as a secret',
    (name) => expect(SECRET_NAME.test(name)).toBe(true)
  )
  it.each(['page', 'user', 'monkey', 'design'])('leaves name %s alone', (name) =>
    expect(SECRET_NAME.test(name)).toBe(false)
  )
  it.each(['Authorization', 'Proxy-Authorization', 'Cookie', 'X-Api-Key', 'Api-Key', 'X-Auth-Token', 'X-Client-Key'])(
    'treats header %s as a credential',
    (name) => expect(isSecretHeader(name)).toBe(true)
  )
  it.each(['Accept', 'Content-Type', 'User-Agent', 'X-Request-Id'])('leaves header %s alone', (name) =>
    expect(isSecretHeader(name)).toBe(false)
  )
})
