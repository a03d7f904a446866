// Preprocessing: from a decoded RGB image to the model's input tensor (1, 3, H, W).
#pragma once
