// Drives Debian's chromium through playwright-core for the pytest suite: one JSON command per line on
// stdin, one JSON answer per line on stdout. Run with the repository's Node (root node_modules).
import { createInterface } from "node:readline";
import { chromium } from "playwright-core";

const CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
];

const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    args: CHROMIUM_ARGS,
});
// Browser profiles (contexts: each its own cookie jar) by name, their tabs by name; commands act on
// `page`, the current tab of the current profile.
const contexts = {};
let context;
let page;
let tabs = {};

// One evaluate, no locator waits: elements of the other page (login vs viewer) are simply absent.
function readState() {
    return page.evaluate(() => ({
        state: document.body.dataset.state ?? null,
        hasCanvas: document.querySelector("#screen canvas") !== null,
        mode: document.getElementById("mode")?.textContent ?? null,
        loginForm: document.getElementById("login") !== null,
        ended:
            document.getElementById("ended")?.hidden === false ? document.getElementById("ended").dataset.reason : null,
    }));
}

async function canvasBox() {
    const canvas = page.locator("#screen canvas");
    await canvas.waitFor({ state: "visible", timeout: 10_000 });
    const box = await canvas.boundingBox();
    const size = await canvas.evaluate((element) => ({ width: element.width, height: element.height }));
    return { ...box, framebufferWidth: size.width, framebufferHeight: size.height };
}

const commands = {
    async open({ viewport, profile = "main" }) {
        await contexts[profile]?.context.close();
        context = await browser.newContext({ viewport });
        page = await context.newPage();
        // The page's own errors and console, in the driver's log: a page that never gets ready says why.
        page.on("console", (message) => process.stderr.write(`page console ${message.type()}: ${message.text()}\n`));
        page.on("response", (response) => {
            if (response.status() >= 400) process.stderr.write(`page got ${response.status()} for ${response.url()}\n`);
        });
        page.on("pageerror", (error) => process.stderr.write(`page error: ${error.stack ?? error}\n`));
        tabs = { main: page };
        contexts[profile] = { context, tabs };
        return {};
    },
    async profile({ name }) {
        ({ context, tabs } = contexts[name]);
        page = tabs.main;
        return {};
    },
    async cookies() {
        return context.cookies();
    },
    async addCookies({ cookies }) {
        await context.addCookies(cookies);
        return {};
    },
    async newTab({ name }) {
        // Another tab of the same browser profile: it shares the cookie jar.
        page = await context.newPage();
        tabs[name] = page;
        return {};
    },
    async tab({ name }) {
        page = tabs[name];
        await page.bringToFront();
        return {};
    },
    async goto({ url }) {
        const response = await page.goto(url);
        return { status: response.status(), url: page.url() };
    },
    async login({ token }) {
        await page.fill("#token", token);
        const [response] = await Promise.all([page.waitForNavigation(), page.click("#login-button")]);
        return {
            status: response.status(),
            url: page.url(),
            errorShown: await page
                .locator("#error")
                .isVisible()
                .catch(() => false),
        };
    },
    async url() {
        return page.url();
    },
    async state() {
        // A page being sent back to the login form destroys its context mid-evaluate: the state asked
        // for is the page's after that navigation, so wait for it to load and read again.
        for (let attempt = 1; ; attempt++) {
            try {
                return await readState();
            } catch (error) {
                if (attempt >= 5 || !/Execution context was destroyed/.test(String(error))) throw error;
                await page.waitForLoadState("domcontentloaded").catch(() => {});
            }
        }
    },
    async logout() {
        // Two navigations race here: the form's POST (answered with a redirect to the login page) and
        // viewer.js's own location.replace when the server closes the session's connection; whichever
        // wins aborts the other. Done is the login form, reached by either.
        await page.click("header form button");
        await page.waitForSelector("#login", { timeout: 10_000 });
        return { url: page.url() };
    },
    async waitConnected() {
        await page.waitForSelector("body[data-state=connected]", { timeout: 20_000 });
        return canvasBox();
    },
    async screenshot() {
        const png = await page.locator("#screen canvas").screenshot();
        return { png: png.toString("base64"), box: await canvasBox() };
    },
    // The canvas's own pixels (noVNC's framebuffer, unscaled): what noVNC drew, free of the page's scaling.
    async canvasPixels() {
        const url = await page.locator("#screen canvas").evaluate((canvas) => canvas.toDataURL("image/png"));
        return { png: url.slice(url.indexOf(",") + 1) };
    },
    async click({ x, y }) {
        // x, y in framebuffer pixels: mapped through the canvas's on-page box (noVNC may scale it).
        const box = await canvasBox();
        await page.mouse.click(
            box.x + ((x + 0.5) * box.width) / box.framebufferWidth,
            box.y + ((y + 0.5) * box.height) / box.framebufferHeight,
        );
        return {};
    },
    async type({ text }) {
        await page.keyboard.type(text, { delay: 20 });
        return {};
    },
    async press({ key }) {
        await page.keyboard.press(key);
        return {};
    },
    async keyDown({ key }) {
        await page.keyboard.down(key);
        return {};
    },
    async mouseDown({ x, y }) {
        const box = await canvasBox();
        await page.mouse.move(
            box.x + ((x + 0.5) * box.width) / box.framebufferWidth,
            box.y + ((y + 0.5) * box.height) / box.framebufferHeight,
        );
        await page.mouse.down();
        return {};
    },
    async selectOption({ selector, value }) {
        await page.selectOption(selector, value);
        return {};
    },
    async clickElement({ selector }) {
        await page.click(selector);
        return {};
    },
    async waitFor({ selector, timeout = 20_000 }) {
        await page.waitForSelector(selector, { timeout });
        return {};
    },
    async clickAt({ selector, fraction }) {
        // A click at `fraction` of the element's width, halfway down (the replay's timeline).
        const box = await page.locator(selector).boundingBox();
        await page.mouse.click(box.x + fraction * box.width, box.y + box.height / 2);
        return {};
    },
    // A function's source, run in the page with one JSON argument: what benchmarks measure inside the page.
    async evaluate({ fn, arg = null }) {
        return page.evaluate(`(${fn})(${JSON.stringify(arg)})`);
    },
    async dataset() {
        return page.evaluate(() => ({ ...document.body.dataset }));
    },
    async texts({ selector }) {
        return page.locator(selector).allTextContents();
    },
    async wiggle() {
        // A person at the page: small pointer moves over the header (not the desktop).
        const header = await page.locator("header").boundingBox();
        await page.mouse.move(header.x + 5 + Math.random() * 50, header.y + 5);
        return {};
    },
    async pretendInteractive() {
        // A page that ignores the mode: it claims interactive, so noVNC sends input. Only the server can stop it.
        await page.route("**/session", (route) =>
            route.fulfill({
                status: 200,
                contentType: "application/json",
                body: JSON.stringify({ mode: "interactive", expiresAt: 0 }),
            }),
        );
        return {};
    },
    async websocketOutcome({ path }) {
        // Opens a WebSocket from the page itself (same origin, with whatever cookie the browser holds).
        return page.evaluate(
            (wsPath) =>
                new Promise((resolve) => {
                    const ws = new WebSocket(`ws://${location.host}${wsPath}`);
                    ws.binaryType = "arraybuffer";
                    ws.onopen = () => {
                        ws.close();
                        resolve("open");
                    };
                    ws.onerror = () => resolve("error");
                }),
            path,
        );
    },
    async close() {
        await browser.close();
        return {};
    },
};

const lines = createInterface({ input: process.stdin });
for await (const line of lines) {
    const { command, ...args } = JSON.parse(line);
    let answer;
    try {
        answer = { ok: true, result: await commands[command](args) };
    } catch (error) {
        answer = { ok: false, error: String(error?.message ?? error) };
    }
    process.stdout.write(`${JSON.stringify(answer)}\n`);
    if (command === "close") break;
}
process.exit(0);
