// Durations as Kubernetes writes them ("1m30s"), parsed to milliseconds.
const UNIT_MS = { ns: 1e-6, us: 1e-3, µs: 1e-3, μs: 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
/** Milliseconds in a duration string, or undefined when it is not one (the schema pattern's language). */
export function parseDuration(text) {
    if (text === '0')
        return 0;
    const part = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)/gy;
    let total = 0;
    let index = 0;
    for (let match = part.exec(text); match; match = part.exec(text)) {
        total += Number(match[1]) * UNIT_MS[match[2]];
        index = part.lastIndex;
    }
    return index === text.length && index > 0 ? total : undefined;
}
