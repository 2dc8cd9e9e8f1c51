/**
 * puppeteer comes in only as a dependency of @wonderwhy-er/desktop-commander, a peer the shell benchmark
 * (bench/shell) measures; nothing runs a browser through it, so its install step downloads none (it would
 * fetch Chrome from Google's CDN, outside the package registries). Read by puppeteer's install script.
 */
module.exports = { skipDownload: true };
