// Finding the SST-2 data and the BERT vocabulary on disk, with an error that tells the user
// where we looked and how to get the files when they are missing.
#pragma once

#include <string>

namespace sst2::data {

// The directory holding GLUE SST-2's train.tsv and dev.tsv. A non-empty user_dir (--data-dir)
// is used as given (and must hold both files). Otherwise the first of these that does:
// data/SST-2 and ../shared/data/SST-2 relative to the current directory, then the same two
// relative to source_root (the project's source directory) when it is given.
// Returns an absolute, normalised path. Throws ag::Error listing every place it looked.
std::string find_data_dir(const std::string& user_dir, const std::string& source_root = "");

// bert-base-uncased's vocab.txt: user_path (--vocab) if given, else the first existing of
// data/bert-base-uncased/vocab.txt and ../shared/data/bert-base-uncased/vocab.txt relative to
// the current directory, then relative to source_root. Same error behaviour.
std::string find_vocab(const std::string& user_path, const std::string& source_root = "");

}  // namespace sst2::data
