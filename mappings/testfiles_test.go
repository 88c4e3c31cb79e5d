package mappings

import "testing"

// TestMappingFiles runs every *_test.yaml: the built-in mappings' tests and
// the rule-kind tests in testdata.
func TestMappingFiles(t *testing.T) {
	files, err := TestFiles([]string{"."})
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 3 {
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
