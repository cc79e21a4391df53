/* Read by the Bootstrap Italia bundle as it loads, so it goes before it.
   The bundle's video.js writes its default sizes into a <style> element,
   which the Content-Security-Policy refuses (no inline styles): the portal
   has no video player, and this asks video.js not to. */
window.VIDEOJS_NO_DYNAMIC_STYLE = true;
