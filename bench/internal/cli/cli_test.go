package cli

import (
	"errors"
	"flag"
	"io"
	"strings"
	"testing"
)

func TestExitCodes(t *testing.T) {
	var out strings.Builder
	if c := Exit("t", &out, errors.New("no server"), []string{"x"}); c != 2 {
		t.Errorf("an error: %d, want 2", c)
	}
	if c := Exit("t", &out, nil, []string{"lost 1"}); c != 1 || !strings.Contains(out.String(), "t: FAIL: lost 1") {
		t.Errorf("a failure: %d, %q", c, out.String())
	}
	if c := Exit("t", io.Discard, nil, nil); c != 0 {
		t.Errorf("a pass: %d", c)
	}
	if FlagExit("t", flag.ErrHelp, io.Discard) != 0 || FlagExit("t", errors.New("bad"), io.Discard) != 2 {
		t.Error("flag errors: -h must exit 0, others 2")
	}
}
