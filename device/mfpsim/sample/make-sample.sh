#!/bin/sh
# Renders scan.ps into pages.tif, the sample scan of the simulated MFP:
# three pages of CCITT Group 4, 1728 dots wide, 204x196 dpi (fax "fine"),
# one strip per page, as a fax machine files a scanned document.
# Needs Ghostscript and libtiff-tools (tiffset, tiffinfo).
set -eu
cd "$(dirname "$0")"

gs -q -dSAFER -dBATCH -dNOPAUSE \
	-sDEVICE=tiffg4 -r204x196 -g1728x2292 -dFIXEDMEDIA \
	-dMaxStripSize=0 \
	-sOutputFile=pages.tif scan.ps

# Ghostscript leaves the page count of PageNumber at 0 and stamps the
# time of rendering; give every page its "n of 3" and the scan's date.
for page in 0 1 2; do
	tiffset -d "$page" -s 297 "$page" 3 pages.tif
	tiffset -d "$page" -s 306 "2025:03:12 09:41:00" pages.tif
done

tiffinfo pages.tif | grep -E 'directory|Width|Resolution|Compression|Page Number'
