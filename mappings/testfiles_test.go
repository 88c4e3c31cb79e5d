package mappings

import "testing"

// TestMappingFiles runs every *_test.yaml here: the rule-kind tests in
// testdata (each dialect's mapping tests run in dialects/builtin).
func TestMappingFiles(t *testing.T) {
	files, err := TestFiles([]string{"."})
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 1 {
		t.Fatalf("only %d mapping test files", len(files))
	}
	for _, f := range files {
		t.Run(f, func(t *testing.T) {
			results, err := RunTestFile(f, nil)
			if err != nil {
				t.Fatal(err)
			}
			if len(results) == 0 {
				t.Fatal("no test cases")
			}
			for _, r := range results {
				if r.Err != nil {
					t.Error(r)
				}
			}
		})
	}
}
