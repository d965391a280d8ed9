// The network inspector in real Chromium, on a 2D game with three players in one page (in-memory hub in real time,
// with latency, jitter and loss): peers with RTT and loss sparklines, kbit/s per channel, bytes per component, the
// entity list with owners and buffer depth, and the simulated-conditions buttons acting on this page's transport.
// The screenshot is README's (docs/inspector.png is a copy of test-results/inspector.png).
import { describe, expect, it } from 'vitest'
import { screenshot } from './demo-harness.js'
import { until } from '../helpers/browser.js'
import { usePageFixture } from './page-fixture.js'

const env = usePageFixture()

describe('network inspector', () => {
  it('shows peers, channels, components and entities of any game, and sets this page\'s simulated conditions', async () => {
    const page = await env.browser.newPage({ viewport: { width: 1200, height: 760 } })
    const errors: string[] = []
    page.on('pageerror', (e) => errors.push(e.message))
    await page.goto(`${env.pages.url}inspector.html`)
    const panel = page.locator('section.bmu-inspector')
    await panel.waitFor()
    // Both other players, each with an RTT in milliseconds and sparklines that have samples to draw.
    await until(async () => (await panel.locator('tr[data-peer]').count()) === 2, 15_000, 'two peers listed')
    await until(async () => /^[1-9]\d* ms$/.test((await panel.locator('tr[data-peer="alice"] td').nth(1).textContent()) ?? ''), 15_000, 'an RTT')
    // Every replicated entity, with its owner; remote ones with their interpolation buffer depth.
    await until(async () => (await panel.locator('tr[data-eid]').count()) === 10, 15_000, 'ten entities')
    const rows = await panel.locator('tr[data-eid]').evaluateAll((trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent)))
    expect(rows.filter((r) => r[2]?.startsWith('you'))).toHaveLength(3)
    expect(rows.filter((r) => r[2]?.startsWith('alice'))).toHaveLength(5)
    expect(rows.filter((r) => r[2]?.startsWith('bob'))).toHaveLength(2)
    await until(async () => {
      const depths = await panel.locator('tr[data-eid] td:nth-child(4)').allTextContents()
      return depths.filter((d) => d !== '—').every((d) => Number(d) >= 2)
    }, 10_000, 'remote buffers filled')
    // Where the bandwidth goes: Transform (moving every tick) ahead of Color (sent once).
    await until(async () => (await panel.locator('tr[data-component]').first().getAttribute('data-component')) === 'test.Transform', 15_000, 'Transform first')
    const transformRate = await panel.locator('tr[data-component="test.Transform"] td').nth(1).textContent()
    expect(transformRate).toMatch(/^[1-9]\d* B\/s$|kB\/s$/)
    // The channels: deltas flow both ways on the unreliable channel.
    for (const way of ['up', 'down']) {
      await until(async () => /^[1-9][\d.]* kbit\/s$/.test((await panel.locator(`tr[data-channel="unreliable.${way}"] td`).nth(1).textContent()) ?? ''), 10_000, `unreliable ${way}`)
    }
    // Wait for the sparklines to hold a few seconds of history, then the picture.
    await page.waitForTimeout(6_000)
    const drawn = await page.evaluate(() => [...document.querySelectorAll<HTMLCanvasElement>('section.bmu-inspector canvas')].filter((c) => {
      const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data
      for (let i = 3; i < d.length; i += 4) if (d[i] !== 0) return true
      return false
    }).length)
    expect(drawn).toBeGreaterThanOrEqual(6) // 4 channels + RTT and loss of the peers
    await screenshot(page, 'inspector')

    // The buttons set this page's conditions (and show which are in force).
    await panel.locator('button[data-condition="loss=0.1"]').click()
    await panel.locator('button[data-condition="bandwidth=8000"]').click()
    await panel.locator('button[data-condition="latency=150"]').click()
    expect(await page.evaluate(() => (window as unknown as { __i: { conditions(): unknown } }).__i.conditions())).toMatchObject({ loss: 0.1, latency: 150, bandwidth: 8000 })
    expect(await panel.locator('button[aria-pressed="true"]').evaluateAll((bs) => bs.map((b) => b.getAttribute('data-condition')))).toEqual(['loss=0.1', 'latency=150', 'bandwidth=8000'])
    // 150 ms each way on this page's traffic: the RTT to alice grows past 300 ms.
    await until(async () => Number.parseInt((await panel.locator('tr[data-peer="alice"] td').nth(1).textContent()) ?? '0') > 300, 15_000, 'RTT with 150 ms each way')

    // Folded to its title by a click; disposed: gone from the page.
    await panel.locator('h1').click()
    expect(await panel.locator('.body').isVisible()).toBe(false)
    await page.evaluate(() => (window as unknown as { __i: { dispose(): void } }).__i.dispose())
    expect(await page.locator('section.bmu-inspector').count()).toBe(0)
    expect(errors).toEqual([])
    await page.close()
  }, 90_000)
})
