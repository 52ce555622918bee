// webgrad drives the system Chromium (/usr/bin/chromium or $CHROME_PATH); puppeteer's own
// browser download cannot work on machines without general internet access.
module.exports = { skipDownload: true };
