package static

import (
	"net/http"
	"strconv"
	"strings"
)

// acceptsGzip reports whether the Accept-Encoding fields of h allow gzip (RFC 9110 §12.5.3): a "gzip" (or
// legacy "x-gzip") entry decides by its q-value, otherwise a "*" entry does; with neither, or no header at
// all, gzip is not acceptable. Identity is always served as the fallback, even if a client marks it q=0.
func acceptsGzip(h http.Header) bool {
	gzipQ, anyQ := -1.0, -1.0
	for _, field := range h.Values("Accept-Encoding") {
		for item := range strings.SplitSeq(field, ",") {
			coding, q := parseCoding(item)
			switch {
			case strings.EqualFold(coding, "gzip") || strings.EqualFold(coding, "x-gzip"):
				gzipQ = max(gzipQ, q)
			case coding == "*":
				anyQ = max(anyQ, q)
			}
		}
	}
	if gzipQ >= 0 {
		return gzipQ > 0
	}
	return anyQ > 0
}

// parseCoding splits one Accept-Encoding element, e.g. "gzip;q=0.5", into the coding and its weight.
// Without a q parameter the weight is 1; an invalid one counts as 0, so doubt means no gzip.
func parseCoding(item string) (coding string, q float64) {
	coding, params, _ := strings.Cut(item, ";")
	q = 1
	for param := range strings.SplitSeq(params, ";") {
		name, value, ok := strings.Cut(param, "=")
		if ok && strings.EqualFold(strings.TrimSpace(name), "q") {
			q = parseQ(strings.TrimSpace(value))
		}
	}
	return strings.TrimSpace(coding), q
}

func parseQ(s string) float64 {
	q, err := strconv.ParseFloat(s, 64)
	if err != nil || !(q >= 0 && q <= 1) { // also rejects NaN
		return 0
	}
	return q
}
