// Gyre's one script. Pages work without it; it adds live updates where a page asks for them.
'use strict';
