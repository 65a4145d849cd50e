// A real browser (Debian's Chromium, driven by playwright-core) through the hosted sign-in:
// opens the authorize URL, fills and submits the form, follows the redirect to the callback
// and prints the code it carries (the Rust test exchanges it). A screenshot of the sign-in
// page is saved to the path given.
//
// Usage: node hosted_browser.mjs <authorize URL> <callback prefix> <username> <password> <screenshot path>
import { launchChromium } from "./chromium.mjs";

const [authorizeUrl, callback, username, password, screenshot] = process.argv.slice(2);
const browser = await launchChromium();
const { context } = browser;
try {
  const page = await context.newPage();
  // The application behind the callback does not exist: the browser's request to it is
  // answered here, and its URL is what the test wants.
  let reached;
  const landed = new Promise((resolve) => (reached = resolve));
  await context.route(`${callback}**`, async (route) => {
    reached(route.request().url());
    await route.fulfill({ status: 200, contentType: "text/plain", body: "signed in" });
  });
  await page.goto(authorizeUrl);
  const title = await page.title();
  if (title !== "Sign in") throw new Error(`the sign-in page was expected, got "${title}"`);
  // Labels name the inputs (the page is usable with a screen reader).
  await page.getByLabel("Username").fill(username);
  await page.getByLabel("Password").fill(password);
  await page.screenshot({ path: screenshot, fullPage: true });
  await page.getByRole("button", { name: "Sign in" }).click();
  // A sign-in that does not reach the callback (an error page, a challenge page) must fail
  // the test with what the browser shows, not hang it.
  let expired;
  const deadline = new Promise((resolve) => (expired = setTimeout(resolve, 60_000, null)));
  const url = await Promise.race([landed, deadline]);
  clearTimeout(expired);
  if (url === null) {
    throw new Error(`the callback was not reached; the browser is at ${page.url()}:\n${await page.content()}`);
  }
  const query = new URL(url).searchParams;
  console.log(JSON.stringify({ code: query.get("code"), state: query.get("state") }));
  console.log("browser sign-in passed");
} finally {
  await browser.close();
}
